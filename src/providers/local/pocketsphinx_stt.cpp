// pocketsphinx (Debian 0.8+5prealpha, the 16 kHz US-English model) as the local STT.
//
// A call's audio is kept in a bounded ring on the loop thread; the engine's end of turn cuts the
// utterance out of it (from shortly before the engine's speech start) and hands it to a per-call
// serial queue on the worker pool, so the transcripts come out in turn order. Each turn borrows
// a decoder of the call's phrase set from the provider's pool (pocketsphinx_decoders.hpp) for
// as long as it decodes: memory follows the pool's cap (~28 MB a decoder), not the number of
// calls, and decoders are loaded and freed only on the workers (or with the provider).
#include "providers/local/pocketsphinx_stt.hpp"

#include <pocketsphinx.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "providers/local/pocketsphinx_decoders.hpp"
#include "providers/turn_audio.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

#ifndef ROB_POCKETSPHINX_MODEL_DIR
#define ROB_POCKETSPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#endif

namespace ringoverbot::providers {
namespace {

using local::DecoderPool;
using local::PhraseSet;

constexpr std::uint32_t kModelRate = 16000;
constexpr std::uint32_t kMaxTurnSeconds = 30;  // a longer turn keeps its last 30 s

// A call's decoding side: the queue of cut turns, worked through by one job at a time.
struct CallDecoding {
    std::weak_ptr<DecoderPool> decoders;
    std::shared_ptr<WorkerPool> pool;
    std::shared_ptr<SttSink> sink;
    PhraseSet phrases;
    std::uint32_t rate = kModelRate;
    std::atomic<bool> cancelled{false};

    std::mutex mutex;
    std::deque<std::vector<std::int16_t>> turns;
    bool draining = false;

    // Touched only by the one drain job running at a time.
    std::optional<Error> load_error;  // the call's decoder cannot be had: every turn says so
    std::optional<audio::Resampler> resampler;
    std::vector<std::int16_t> resampled;

    // Queues a turn and starts the drain job when it is not running.
    static void enqueue(const std::shared_ptr<CallDecoding>& self, std::vector<std::int16_t> turn) {
        {
            std::lock_guard lock(self->mutex);
            self->turns.push_back(std::move(turn));
            if (self->draining) return;
            self->draining = true;
        }
        self->pool->post([self] { self->drain(); });
    }

    void drain() {
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
            auto pool_of_decoders = decoders.lock();
            if (!pool_of_decoders) {
                load_error = Error{Errc::invalid_state, "pocketsphinx: the provider is gone"};
                return sink->on_error(*load_error);
            }
            auto lease = pool_of_decoders->borrow(phrases);
            if (!lease) {
                load_error = lease.error();
                return sink->on_error(*load_error);
            }
            ps_decoder_t* ps = lease->get();
            if (ps_start_utt(ps) < 0) {
                lease->discard();
                return sink->on_error(Error{Errc::internal, "pocketsphinx: start_utt failed"});
            }
            // The whole turn at once (full_utt): the model's batch CMN then normalises the turn
            // by its own mean, which recognised first turns on phone-band speech that live CMN,
            // still at its initial estimate, missed (measured with flite voices). It also leaves
            // nothing of this call in the decoder for the next turn, whoever's it is.
            const int processed = ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE);
            ps_end_utt(ps);
            if (processed < 0) {
                lease->discard();
                return sink->on_error(Error{Errc::internal, "pocketsphinx: decoding failed"});
            }
            int32 score = 0;
            // NULL when nothing matched the grammar: an empty transcript, not an error
            if (const char* hyp = ps_get_hyp(ps, &score)) text = hyp;
        }
        if (cancelled.load(std::memory_order_relaxed)) return;
        sink->on_transcript(text, true, kUnknownConfidence);
    }
};

class PocketsphinxStream final : public SttStream {
  public:
    PocketsphinxStream(std::shared_ptr<CallDecoding> decoding, std::uint32_t preroll_ms)
        : decoding_(std::move(decoding)),
          audio_(decoding_->rate, kMaxTurnSeconds * 1000, preroll_ms) {
        // Turn one then finds a decoder of its phrases loaded (unless every slot is lent).
        decoding_->pool->post([decoders = decoding_->decoders, phrases = decoding_->phrases] {
            if (auto d = decoders.lock()) d->warm(phrases);
        });
    }
    ~PocketsphinxStream() override { cancel(); }

    void cancel() override { decoding_->cancelled.store(true, std::memory_order_relaxed); }

    void send_audio(std::span<const std::int16_t> samples) override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        audio_.push(samples);
    }

    void speech_started() override { audio_.speech_started(); }
    void speech_started_at(std::uint32_t onset_ms_ago) override {
        audio_.speech_started(onset_ms_ago);
    }

    void end_of_turn() override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        CallDecoding::enqueue(decoding_, audio_.cut());
    }

  private:
    std::shared_ptr<CallDecoding> decoding_;
    TurnAudio audio_;  // the newest kMaxTurnSeconds of the call
};

class PocketsphinxStt final : public SttProvider {
  public:
    PocketsphinxStt(std::shared_ptr<DecoderPool> decoders, std::uint32_t preroll_ms,
                    std::shared_ptr<WorkerPool> pool)
        : decoders_(std::move(decoders)), preroll_ms_(preroll_ms), pool_(std::move(pool)) {}

    std::string_view name() const override { return "pocketsphinx"; }
    std::uint32_t sample_rate_hz() const override { return kModelRate; }

    Result<std::unique_ptr<SttStream>> open(const SttOptions& options,
                                            std::shared_ptr<SttSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "pocketsphinx: no sink"};
        if (options.sample_rate_hz < 8000 || options.sample_rate_hz > 48000)
            return Error{Errc::invalid_argument, "pocketsphinx: sample rate outside 8..48 kHz"};
        auto decoding = std::make_shared<CallDecoding>();
        decoding->decoders = decoders_;
        decoding->pool = pool_;
        decoding->sink = std::move(sink);
        decoding->phrases = std::make_shared<const std::vector<std::string>>(options.phrases);
        decoding->rate = options.sample_rate_hz;
        return std::unique_ptr<SttStream>(
            std::make_unique<PocketsphinxStream>(std::move(decoding), preroll_ms_));
    }

    local::DecoderPoolStats stats() const { return decoders_->stats(); }

  private:
    std::shared_ptr<DecoderPool> decoders_;
    const std::uint32_t preroll_ms_;
    std::shared_ptr<WorkerPool> pool_;
};

}  // namespace

Result<std::shared_ptr<SttProvider>> make_pocketsphinx_stt(PocketsphinxOptions options,
                                                           std::shared_ptr<WorkerPool> pool) {
    namespace fs = std::filesystem;
    const fs::path dir = options.model_dir.empty() ? fs::path(ROB_POCKETSPHINX_MODEL_DIR)
                                                   : fs::path(options.model_dir);
    local::PocketsphinxModel model{(dir / "en-us").string(), (dir / "cmudict-en-us.dict").string(),
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
    // One more than the turns that can decode at once: a second phrase set keeps a decoder.
    const std::size_t cap = options.max_decoders ? options.max_decoders : pool->threads() + 1;
    return std::shared_ptr<SttProvider>(std::make_shared<PocketsphinxStt>(
        DecoderPool::create(std::move(model), options.use_grammar, cap), options.preroll_ms,
        std::move(pool)));
}

namespace local {

std::optional<DecoderPoolStats> pocketsphinx_decoder_stats(const SttProvider& stt) {
    if (const auto* ps = dynamic_cast<const PocketsphinxStt*>(&stt)) return ps->stats();
    return std::nullopt;
}

}  // namespace local
}  // namespace ringoverbot::providers
