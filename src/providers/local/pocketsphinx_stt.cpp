// pocketsphinx (Debian 0.8+5prealpha, the 16 kHz US-English model) as the local STT.
//
// A call's audio is kept in a bounded ring on the loop thread; the engine's end of turn cuts the
// utterance out of it (from shortly before the engine's speech start) and hands it to a per-call
// serial queue on the worker pool, so one decoder never runs on two threads and the transcripts
// come out in turn order. Each call has its own decoder, loaded when the call opens and kept for
// the whole call; a finished call's decoder is parked for the next call with the same phrases,
// since loading one costs ~0.2 s of CPU and ~28 MB (the open language model: ~0.5 s, ~90 MB).
//
// The search is a JSGF grammar of the expected phrases inside a loop of common short words. On
// phone-band speech (8 kHz mu-law) the open language model misheard half of the demo dialog's
// phrases and decoded 10x slower, while the grammar found every one (measured with flite's
// voice; stack.md section 6 and its addendum saw the same with espeak). Without phrases, or when
// asked to, the open language model is used.
#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>
#include <sphinxbase/jsgf.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

#ifndef ROB_POCKETSPHINX_MODEL_DIR
#define ROB_POCKETSPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#endif

namespace ringoverbot::providers {
namespace {

constexpr std::uint32_t kModelRate = 16000;
constexpr std::uint32_t kMaxTurnSeconds = 30;  // a longer turn keeps its last 30 s
constexpr std::size_t kMaxIdleDecoders = 2;
constexpr std::size_t kMaxGrammarWords = 2000;  // keeps a hostile phrase list from exploding
// Short words callers put around what they came to say. The loop absorbs them so the phrase
// itself can match; more of them makes the loop swallow the phrases instead (measured).
constexpr const char* kFillers[] = {"a",  "the",   "i",    "to",  "um",  "uh", "please", "yes",
                                    "no", "hello", "okay", "can", "you", "me", "my"};

struct Model {
    std::string hmm, dict, lm;
};

// sphinxbase logs through one process-wide FILE*; -logfn would reopen it per decoder while
// other threads log through it. Logging is switched off once instead.
void silence_sphinx_logging() {
    static std::once_flag once;
    std::call_once(once, [] { err_set_logfp(nullptr); });
}

struct DecoderDeleter {
    void operator()(ps_decoder_t* ps) const { ps_free(ps); }
};
struct Decoder {
    std::unique_ptr<ps_decoder_t, DecoderDeleter> ps;
    std::string search;  // the grammar text, or "" for the open language model
};

bool in_dictionary(ps_decoder_t* ps, const std::string& word) {
    char* phones = ps_lookup_word(ps, word.c_str());
    if (!phones) return false;
    ckd_free(phones);
    return true;
}

// The JSGF grammar of `phrases` (normalized, dictionary words only), or "" when none is left.
std::string build_grammar(ps_decoder_t* ps, const std::vector<std::string>& phrases) {
    std::vector<std::string> alternatives;
    std::size_t words = 0;
    for (const auto& phrase : phrases) {
        std::string alt;
        for (const auto& w : local::normalize_words(phrase)) {
            if (words >= kMaxGrammarWords) break;
            if (!in_dictionary(ps, w)) continue;  // an unknown word would fail the grammar
            if (!alt.empty()) alt.push_back(' ');
            alt += w;
            ++words;
        }
        if (!alt.empty() &&
            std::find(alternatives.begin(), alternatives.end(), alt) == alternatives.end())
            alternatives.push_back(std::move(alt));
    }
    if (alternatives.empty()) return {};
    std::string g = "#JSGF V1.0;\ngrammar rob;\n<filler> = ";
    bool first = true;
    for (const char* f : kFillers) {
        if (!in_dictionary(ps, f)) continue;
        g += first ? "" : " | ";
        g += f;
        first = false;
    }
    g += first ? "<NULL>;\n" : ";\n";
    g += "public <utt> = <filler>* (";
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
        g += i ? " | " : " ";
        g += alternatives[i];
    }
    g += " ) <filler>*;\n";
    return g;
}

// ps_set_jsgf_string() of 5prealpha, without its leak: it never frees the parsed grammar.
bool set_grammar(ps_decoder_t* ps, const std::string& jsgf_text) {
    jsgf_t* jsgf = jsgf_parse_string(jsgf_text.c_str(), nullptr);
    if (!jsgf) return false;
    bool ok = false;
    if (jsgf_rule_t* rule = jsgf_get_public_rule(jsgf)) {
        const float lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
        if (fsg_model_t* fsg = jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), lw)) {
            ok = ps_set_fsg(ps, "grammar", fsg) >= 0;  // the search keeps its own reference
            fsg_model_free(fsg);
        }
    }
    jsgf_grammar_free(jsgf);
    return ok;
}

// What all of one provider's streams share: the model paths and the parked decoders.
class Core {
  public:
    explicit Core(Model model) : model_(std::move(model)) {}

    // A decoder without a search (the caller sets one); empty on failure.
    std::unique_ptr<ps_decoder_t, DecoderDeleter> load() const {
        silence_sphinx_logging();
        cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", model_.hmm.c_str(),
                                       "-dict", model_.dict.c_str(), "-samprate", "16000", nullptr);
        if (!config) return {};
        std::unique_ptr<ps_decoder_t, DecoderDeleter> ps(ps_init(config));
        cmd_ln_free_r(config);  // the decoder holds its own reference
        return ps;
    }

    const std::string& lm_path() const { return model_.lm; }

    // A parked decoder already searching `search`'s grammar (or the LM), if any.
    std::optional<Decoder> take_idle(bool use_grammar, const std::vector<std::string>& phrases) {
        std::lock_guard lock(mutex_);
        for (auto it = idle_.begin(); it != idle_.end(); ++it)
            if (it->use_grammar == use_grammar && it->phrases == phrases) {
                Decoder d = std::move(it->decoder);
                idle_.erase(it);
                return d;
            }
        return std::nullopt;
    }

    void park(Decoder decoder, bool use_grammar, std::vector<std::string> phrases) {
        std::lock_guard lock(mutex_);
        idle_.push_front(Idle{std::move(decoder), use_grammar, std::move(phrases)});
        if (idle_.size() > kMaxIdleDecoders) idle_.pop_back();
    }

  private:
    struct Idle {
        Decoder decoder;
        bool use_grammar;
        std::vector<std::string> phrases;
    };
    const Model model_;
    std::mutex mutex_;
    std::deque<Idle> idle_;  // most recently parked first
};

// A call's decoding side: the queue of cut turns and the decoder that works through it.
struct CallDecoding {
    std::weak_ptr<Core> core;
    std::shared_ptr<WorkerPool> pool;
    std::shared_ptr<SttSink> sink;
    std::vector<std::string> phrases;
    bool use_grammar = true;
    std::uint32_t rate = kModelRate;
    std::atomic<bool> cancelled{false};

    std::mutex mutex;
    std::deque<std::vector<std::int16_t>> turns;
    bool draining = false;

    // Touched only by the one drain job running at a time.
    std::optional<Decoder> decoder;
    std::optional<Error> load_error;
    std::optional<audio::Resampler> resampler;
    std::vector<std::int16_t> resampled;

    ~CallDecoding() {
        if (!decoder || load_error) return;
        if (auto c = core.lock()) c->park(std::move(*decoder), use_grammar, std::move(phrases));
    }

    // Queues a turn (or, with none, just the decoder's loading) and starts the drain job when
    // it is not running.
    static void enqueue(const std::shared_ptr<CallDecoding>& self,
                        std::optional<std::vector<std::int16_t>> turn) {
        {
            std::lock_guard lock(self->mutex);
            if (turn) self->turns.push_back(std::move(*turn));
            if (self->draining) return;
            self->draining = true;
        }
        self->pool->post([self] { self->drain(); });
    }

    void drain() {
        ensure_decoder();
        for (;;) {
            std::vector<std::int16_t> turn;
            {
                std::lock_guard lock(mutex);
                if (turns.empty() || cancelled.load(std::memory_order_relaxed)) {
                    turns.clear();
                    draining = false;
                    return;
                }
                turn = std::move(turns.front());
                turns.pop_front();
            }
            decode(turn);
        }
    }

    void ensure_decoder() {
        if (decoder || load_error || cancelled.load(std::memory_order_relaxed)) return;
        auto c = core.lock();
        if (!c) {
            load_error = Error{Errc::invalid_state, "pocketsphinx: the provider is gone"};
            return;
        }
        if (auto parked = c->take_idle(use_grammar, phrases)) {
            decoder = std::move(parked);
            return;
        }
        Decoder d{c->load(), {}};
        if (!d.ps) {
            load_error = Error{Errc::internal, "pocketsphinx: the decoder failed to load"};
            return;
        }
        if (use_grammar) d.search = build_grammar(d.ps.get(), phrases);
        if (!d.search.empty()) {
            if (!set_grammar(d.ps.get(), d.search) || ps_set_search(d.ps.get(), "grammar") < 0) {
                load_error = Error{Errc::internal, "pocketsphinx: the phrase grammar failed"};
                return;
            }
        } else if (ps_set_lm_file(d.ps.get(), "lm", c->lm_path().c_str()) < 0 ||
                   ps_set_search(d.ps.get(), "lm") < 0) {
            load_error = Error{Errc::internal, "pocketsphinx: the language model failed"};
            return;
        }
        decoder = std::move(d);
    }

    void decode(const std::vector<std::int16_t>& turn) {
        if (load_error) return sink->on_error(*load_error);
        std::span<const std::int16_t> pcm = turn;
        if (rate != kModelRate && !pcm.empty()) {
            if (!resampler) {
                auto r = audio::Resampler::create(rate, kModelRate);
                if (!r) return sink->on_error(r.error());
                resampler.emplace(std::move(*r));
            }
            resampled.clear();
            if (auto st = resampler->process_append(pcm, resampled, true); !st)
                return sink->on_error(st.error());
            pcm = resampled;
        }
        std::string text;
        if (!pcm.empty()) {
            ps_decoder_t* ps = decoder->ps.get();
            if (ps_start_utt(ps) < 0)
                return sink->on_error(Error{Errc::internal, "pocketsphinx: start_utt failed"});
            // The whole turn at once (full_utt): the model's batch CMN then normalises the turn
            // by its own mean, which recognised first turns on phone-band speech that live CMN,
            // still at its initial estimate, missed (measured with flite voices).
            const int processed = ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE);
            ps_end_utt(ps);
            if (processed < 0)
                return sink->on_error(Error{Errc::internal, "pocketsphinx: decoding failed"});
            int32 score = 0;
            // NULL when nothing matched the grammar: an empty transcript, not an error
            if (const char* hyp = ps_get_hyp(ps, &score)) text = hyp;
        }
        if (cancelled.load(std::memory_order_relaxed)) return;
        sink->on_transcript(text, true);
    }
};

class PocketsphinxStream final : public SttStream {
  public:
    PocketsphinxStream(std::shared_ptr<CallDecoding> decoding, std::uint32_t preroll_ms)
        : decoding_(std::move(decoding)),
          ring_(std::size_t{decoding_->rate} * kMaxTurnSeconds),
          preroll_(std::uint64_t{decoding_->rate} * preroll_ms / 1000) {
        CallDecoding::enqueue(decoding_, std::nullopt);  // load the decoder before turn one
    }
    ~PocketsphinxStream() override { cancel(); }

    void cancel() override { decoding_->cancelled.store(true, std::memory_order_relaxed); }

    void send_audio(std::span<const std::int16_t> samples) override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        // Only the newest ring-full matters when more arrives at once.
        if (samples.size() > ring_.size()) {
            total_ += samples.size() - ring_.size();
            samples = samples.last(ring_.size());
        }
        const std::size_t at = static_cast<std::size_t>(total_ % ring_.size());
        const std::size_t first = std::min(samples.size(), ring_.size() - at);
        std::copy_n(samples.begin(), first, ring_.begin() + static_cast<std::ptrdiff_t>(at));
        std::copy(samples.begin() + static_cast<std::ptrdiff_t>(first), samples.end(),
                  ring_.begin());
        total_ += samples.size();
    }

    void speech_started() override {
        if (hinted_) return;
        hinted_ = true;
        turn_start_ = std::max(turn_start_, total_ > preroll_ ? total_ - preroll_ : 0);
    }

    void end_of_turn() override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        const std::uint64_t oldest = total_ > ring_.size() ? total_ - ring_.size() : 0;
        const std::uint64_t begin = std::max(turn_start_, oldest);
        std::vector<std::int16_t> turn(static_cast<std::size_t>(total_ - begin));
        for (std::size_t i = 0; i < turn.size(); ++i)
            turn[i] = ring_[static_cast<std::size_t>((begin + i) % ring_.size())];
        turn_start_ = total_;
        hinted_ = false;
        CallDecoding::enqueue(decoding_, std::move(turn));
    }

  private:
    std::shared_ptr<CallDecoding> decoding_;
    std::vector<std::int16_t> ring_;  // the newest kMaxTurnSeconds of the call
    std::uint64_t total_ = 0;         // samples received so far
    std::uint64_t turn_start_ = 0;    // where the current turn begins (a sample count)
    std::uint64_t preroll_;
    bool hinted_ = false;
};

class PocketsphinxStt final : public SttProvider {
  public:
    PocketsphinxStt(std::shared_ptr<Core> core, PocketsphinxOptions options,
                    std::shared_ptr<WorkerPool> pool)
        : core_(std::move(core)), options_(std::move(options)), pool_(std::move(pool)) {}

    std::string_view name() const override { return "pocketsphinx"; }
    std::uint32_t sample_rate_hz() const override { return kModelRate; }

    Result<std::unique_ptr<SttStream>> open(const SttOptions& options,
                                            std::shared_ptr<SttSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "pocketsphinx: no sink"};
        if (options.sample_rate_hz < 8000 || options.sample_rate_hz > 48000)
            return Error{Errc::invalid_argument, "pocketsphinx: sample rate outside 8..48 kHz"};
        auto decoding = std::make_shared<CallDecoding>();
        decoding->core = core_;
        decoding->pool = pool_;
        decoding->sink = std::move(sink);
        decoding->phrases = options.phrases;
        decoding->use_grammar = options_.use_grammar;
        decoding->rate = options.sample_rate_hz;
        return std::unique_ptr<SttStream>(
            std::make_unique<PocketsphinxStream>(std::move(decoding), options_.preroll_ms));
    }

  private:
    std::shared_ptr<Core> core_;
    const PocketsphinxOptions options_;
    std::shared_ptr<WorkerPool> pool_;
};

}  // namespace

Result<std::shared_ptr<SttProvider>> make_pocketsphinx_stt(PocketsphinxOptions options,
                                                           std::shared_ptr<WorkerPool> pool) {
    namespace fs = std::filesystem;
    const fs::path dir = options.model_dir.empty() ? fs::path(ROB_POCKETSPHINX_MODEL_DIR)
                                                   : fs::path(options.model_dir);
    Model model{(dir / "en-us").string(), (dir / "cmudict-en-us.dict").string(),
                (dir / "en-us.lm.bin").string()};
    std::error_code ec;
    for (const fs::path& p :
         {fs::path(model.hmm) / "mdef", fs::path(model.dict), fs::path(model.lm)})
        if (!fs::is_regular_file(p, ec))
            return Error{Errc::not_found, "pocketsphinx: model file missing: " + p.string() +
                                              " (install pocketsphinx-en-us)"};
    if (options.preroll_ms > 5000)
        return Error{Errc::invalid_argument, "pocketsphinx: preroll_ms above 5000"};
    if (!pool) pool = WorkerPool::create(1);
    return std::shared_ptr<SttProvider>(std::make_shared<PocketsphinxStt>(
        std::make_shared<Core>(std::move(model)), std::move(options), std::move(pool)));
}

}  // namespace ringoverbot::providers
