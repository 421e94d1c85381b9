// flite (CMU Flite 2.2, Debian flite1-dev) as the local TTS.
//
// flite keeps its voices in process-global state: flite_init() and the voice registrations run
// once, and synthesis with one voice is serialised by that voice's mutex (flite makes no
// thread-safety promise for a shared voice). Nothing of a request is written into the shared
// voice: the speed and the streaming callback are features of the request's own utterance,
// which flite consults before the voice's.
//
// flite's streaming callback hands over the wave as it is generated, so the first ~100 ms chunk
// reaches the sink long before the sentence is finished, and a cancel stops the synthesis itself
// rather than only its delivery.
#include <flite/flite.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ringoverbot/providers.hpp"

extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_kal(const char* voxdir);
}

namespace ringoverbot::providers {
namespace {

// Longer than any sentence an engine sends (minutes of speech); bounds memory and pool time.
constexpr std::size_t kMaxTextBytes = 10000;

struct FliteVoice {
    cst_voice* voice = nullptr;  // owned by flite's global registry for the process's life
    std::mutex synthesis;
};

struct FliteVoices {
    FliteVoice slt, kal;
};

FliteVoices& flite_voices() {
    static FliteVoices voices;
    static std::once_flag once;
    std::call_once(once, [] {
        flite_init();
        voices.slt.voice = register_cmu_us_slt(nullptr);
        voices.kal.voice = register_cmu_us_kal(nullptr);
    });
    return voices;
}

FliteVoice* find_voice(std::string_view name) {
    auto& voices = flite_voices();
    if (name == "slt") return &voices.slt;
    if (name == "kal") return &voices.kal;
    return nullptr;
}

bool blank(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

class FliteRequest final : public Request {
  public:
    explicit FliteRequest(std::shared_ptr<std::atomic<bool>> cancelled)
        : cancelled_(std::move(cancelled)) {}
    ~FliteRequest() override { cancel(); }
    void cancel() override { cancelled_->store(true, std::memory_order_relaxed); }

  private:
    std::shared_ptr<std::atomic<bool>> cancelled_;
};

// One synthesis: regroups flite's stream into ~100 ms chunks for the sink.
class Delivery {
  public:
    Delivery(TtsSink& sink, const std::atomic<bool>& cancelled)
        : sink_(sink), cancelled_(cancelled) {}

    static int on_stream(const cst_wave* w, int start, int size, int /*last*/,
                         cst_audio_streaming_info* asi) {
        auto* self = static_cast<Delivery*>(asi->userdata);
        return self->take(w, start, size) ? CST_AUDIO_STREAM_CONT : CST_AUDIO_STREAM_STOP;
    }

    // After the last sentence: the short final chunk. false when stopped or failed.
    bool finish() noexcept {
        if (stopped_) return false;
        try {
            return flush() || stop();
        } catch (const std::exception& e) {
            return fail(e.what());
        } catch (...) {
            return fail("the sink failed");
        }
    }

    bool stopped() const { return stopped_; }
    const std::optional<Error>& failure() const { return failure_; }

  private:
    // false stops the synthesis. Never throws: flite is C and would be unwound through.
    bool take(const cst_wave* w, int start, int size) noexcept {
        if (stopped_ || cancelled_.load(std::memory_order_relaxed)) return stop();
        if (!w || start < 0 || size < 0 || start + size > w->num_samples || w->sample_rate <= 0)
            return fail("flite streamed an inconsistent wave");
        try {
            if (rate_ == 0) {
                rate_ = static_cast<std::uint32_t>(w->sample_rate);
                chunk_.reserve(rate_ / 10);
            }
            const std::span<const std::int16_t> fresh(w->samples + start,
                                                      static_cast<std::size_t>(size));
            std::size_t used = 0;
            while (used < fresh.size()) {
                const std::size_t n = std::min(fresh.size() - used, rate_ / 10 - chunk_.size());
                chunk_.insert(chunk_.end(), fresh.begin() + static_cast<std::ptrdiff_t>(used),
                              fresh.begin() + static_cast<std::ptrdiff_t>(used + n));
                used += n;
                if (chunk_.size() == rate_ / 10 && !flush()) return stop();
            }
        } catch (const std::exception& e) {
            return fail(e.what());
        } catch (...) {
            return fail("the sink failed");
        }
        return true;
    }

    bool flush() {
        if (!chunk_.empty()) sink_.on_audio(chunk_, rate_);
        chunk_.clear();
        return !cancelled_.load(std::memory_order_relaxed);
    }
    bool stop() {
        stopped_ = true;
        return false;
    }
    bool fail(const char* what) noexcept {
        try {
            failure_ = Error{Errc::internal, std::string("flite: ") + what};
        } catch (...) {
        }
        return stop();
    }

    TtsSink& sink_;
    const std::atomic<bool>& cancelled_;
    std::uint32_t rate_ = 0;
    std::vector<std::int16_t> chunk_;
    bool stopped_ = false;
    std::optional<Error> failure_;
};

struct UtteranceDeleter {
    void operator()(cst_utterance* u) const { delete_utterance(u); }
};
using UtterancePtr = std::unique_ptr<cst_utterance, UtteranceDeleter>;

// The text's sentences: each ends after a run of . ! ? followed by white space (or the end).
// flite analyses a whole utterance before its first sample, so a long text synthesised sentence
// by sentence starts sooner, and a cancel takes effect between sentences as well.
std::vector<std::string_view> split_sentences(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '.' && c != '!' && c != '?') continue;
        std::size_t end = i + 1;
        while (end < text.size() && (text[end] == '.' || text[end] == '!' || text[end] == '?'))
            ++end;
        if (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) {
            i = end - 1;
            continue;
        }
        if (!blank(text.substr(begin, end - begin))) out.push_back(text.substr(begin, end - begin));
        begin = end;
        i = end - 1;
    }
    if (begin < text.size() && !blank(text.substr(begin))) out.push_back(text.substr(begin));
    return out;
}

// One sentence through flite; false when it stopped (cancelled or failed) or flite failed.
bool synthesize_sentence(FliteVoice& voice, const std::string& sentence, float duration_stretch,
                         Delivery& delivery, const std::atomic<bool>& cancelled) {
    std::lock_guard lock(voice.synthesis);
    if (cancelled.load(std::memory_order_relaxed)) return false;
    UtterancePtr utt(new_utterance());
    if (!utt) return false;
    utt_set_input_text(utt.get(), sentence.c_str());
    // The utterance owns the streaming info from here (deleted with its features).
    cst_audio_streaming_info* asi = new_audio_streaming_info();
    asi->min_buffsize = 256;  // flite's own default; Delivery regroups into 100 ms
    asi->asc = &Delivery::on_stream;
    asi->userdata = &delivery;
    feat_set(utt->features, "streaming_info", audio_streaming_info_val(asi));
    feat_set_float(utt->features, "duration_stretch", duration_stretch);
    // flite_do_synth deletes the utterance itself when synthesis fails.
    cst_utterance* done = flite_do_synth(utt.release(), voice.voice, utt_synth);
    if (!done) return false;
    utt.reset(done);
    return !delivery.stopped();
}

void synthesize_now(FliteVoice& voice, const std::string& text, float duration_stretch,
                    TtsSink& sink, const std::atomic<bool>& cancelled) {
    Delivery delivery(sink, cancelled);
    std::string sentence;
    for (const auto part : split_sentences(text)) {
        sentence.assign(part);
        if (!synthesize_sentence(voice, sentence, duration_stretch, delivery, cancelled)) {
            if (cancelled.load(std::memory_order_relaxed)) return;
            return sink.on_error(
                delivery.failure().value_or(Error{Errc::internal, "flite: synthesis failed"}));
        }
    }
    if (!delivery.finish()) {
        if (delivery.failure()) sink.on_error(*delivery.failure());
        return;
    }
    sink.on_done();
}

class FliteTts final : public TtsProvider {
  public:
    FliteTts(FliteVoice& default_voice, float duration_stretch, std::shared_ptr<WorkerPool> pool)
        : default_voice_(default_voice), stretch_(duration_stretch), pool_(std::move(pool)) {}

    std::string_view name() const override { return "flite"; }

    Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                std::shared_ptr<TtsSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "flite: no sink"};
        FliteVoice* voice = request.voice.empty() ? &default_voice_ : find_voice(request.voice);
        if (!voice)
            return Error{Errc::invalid_argument,
                         "flite: unknown voice \"" + request.voice + "\" (slt or kal)"};
        if (request.text.size() > kMaxTextBytes)
            return Error{Errc::too_large,
                         "flite: text longer than " + std::to_string(kMaxTextBytes) + " bytes"};
        auto cancelled = std::make_shared<std::atomic<bool>>(false);
        auto handle = std::make_unique<FliteRequest>(cancelled);
        if (blank(request.text)) {
            // flite would say ~0.2 s of silence; nothing to say is no audio.
            sink->on_done();
            return std::unique_ptr<Request>(std::move(handle));
        }
        pool_->post([voice, text = request.text, stretch = stretch_, sink = std::move(sink),
                     cancelled = std::move(cancelled)] {
            synthesize_now(*voice, text, stretch, *sink, *cancelled);
        });
        return std::unique_ptr<Request>(std::move(handle));
    }

  private:
    FliteVoice& default_voice_;
    const float stretch_;
    std::shared_ptr<WorkerPool> pool_;
};

}  // namespace

Result<std::shared_ptr<TtsProvider>> make_flite_tts(FliteOptions options,
                                                    std::shared_ptr<WorkerPool> pool) {
    FliteVoice* voice = find_voice(options.voice);
    if (!voice)
        return Error{Errc::invalid_argument,
                     "flite: unknown voice \"" + options.voice + "\" (slt or kal)"};
    if (!voice->voice) return Error{Errc::internal, "flite: voice registration failed"};
    // flite stays intelligible within about half to twice its own pace.
    if (!(options.speed >= 0.5 && options.speed <= 2.0))
        return Error{Errc::invalid_argument, "flite: speed must be within 0.5..2"};
    if (!pool) pool = WorkerPool::create(1);
    return std::shared_ptr<TtsProvider>(std::make_shared<FliteTts>(
        *voice, static_cast<float>(1.0 / options.speed), std::move(pool)));
}

}  // namespace ringoverbot::providers
