// pocketsphinx (Debian 0.8+5prealpha, the 16 kHz US-English model) as the local STT.
//
// A call's audio arrives at the line's own rate (sample_rate_hz() is 0) and is kept on the loop
// thread in TurnAudio: between turns a preroll ring, from the engine's speech start a buffer of
// the turn. The turn's audio goes, in 80 ms batches, to a per-call serial queue on the worker
// pool, which resamples it to the model's rate, decodes it as it arrives on a decoder leased for
// the turn, sends interims, and the final right after the end of turn; a turn without a speech
// start is cut at its end and decoded whole. Nothing is resampled or queued for silence, and
// the turn's buffers and resampler are released when it ends. Decoders of the call's phrase set come from the
// provider's pool (pocketsphinx_decoders.hpp) and are held only during a turn: memory follows
// the pool's cap (~28 MB a decoder), not the number of calls, and decoders are loaded and freed
// only on the workers (or with the provider). Rejection and confidence: README.md.
#include "providers/local/pocketsphinx_stt.hpp"

#include <pocketsphinx.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
// During a turn the audio goes to the worker in batches of this much: a decode step each
// costs more than a 20 ms frame's worth of work, and the final is at most one batch behind.
constexpr std::uint32_t kBatchMs = 80;
// An interim transcript at most every 100 ms of audio (when the hypothesis changed).
constexpr std::size_t kInterimSamples = kModelRate / 10;
constexpr std::size_t kMaxTurnSamples = std::size_t{kModelRate} * kMaxTurnSeconds;
constexpr std::size_t kSpareBuffers = 8;  // recycled chunk buffers per call, during a turn

// What the loop thread hands the call's decoding job, in call order.
struct Chunk {
    // finish: the end of a turn that found no decoder free, tried again after the pool's
    // other jobs (a worker never blocks on a decoder another call's live turn holds: that
    // call's own audio needs a worker to finish its turn).
    enum class Kind { start, audio, end, whole, finish } kind = Kind::audio;
    std::vector<std::int16_t> pcm;  // at the call's rate; its capacity is recycled
};

// Gives a vector's memory back (clear() keeps the capacity).
template <typename T>
void release(std::vector<T>& v) {
    std::vector<T>().swap(v);
}

// A call's decoding side: the queue of chunks, worked through by one job at a time on the
// pool, so the transcripts come out in turn order.
//
// A turn with a speech start decodes as the caller speaks: `start` leases a decoder without
// waiting (none free: the turn's audio is buffered and decoded whole at its end, as a turn
// without a speech start always is), each `audio` chunk goes into the live utterance, and
// `end` closes it. The live decoder's cepstral mean starts from the call's estimate (the
// model's phone-band value on turn one) and the call keeps the estimate the turn ends with.
struct CallDecoding {
    std::weak_ptr<DecoderPool> decoders;
    std::shared_ptr<WorkerPool> pool;
    std::shared_ptr<SttSink> sink;
    PhraseSet phrases;
    std::uint32_t rate = kModelRate;
    std::atomic<bool> cancelled{false};

    std::mutex mutex;
    std::deque<Chunk> chunks;
    std::vector<std::vector<std::int16_t>> spare;  // emptied buffers for the loop thread
    bool draining = false;

    // Touched only by the one drain job running at a time.
    std::optional<Error> load_error;  // the call's decoder cannot be had: every turn says so
    std::optional<audio::Resampler> resampler;
    std::vector<std::int16_t> resampled;
    std::optional<DecoderPool::Lease> live;  // the decoder of the turn decoding live
    std::vector<std::int16_t> buffered;      // a turn's audio while no decoder was free
    bool in_turn = false;                    // between a start and its end
    std::size_t since_interim = 0;           // model-rate samples since the last interim
    std::string last_interim;
    local::CepstralMean mean;   // the call's estimate, carried from turn to turn
    bool guessed_mean = false;  // the live turn started from the phone-band guess

    // A buffer for the loop thread's next chunk (allocation-free once the call has run).
    std::vector<std::int16_t> take_spare() {
        std::lock_guard lock(mutex);
        if (spare.empty()) return {};
        auto v = std::move(spare.back());
        spare.pop_back();
        return v;
    }

    // Queues a chunk and starts the drain job when it is not running.
    static void enqueue(const std::shared_ptr<CallDecoding>& self, Chunk chunk) {
        {
            std::lock_guard lock(self->mutex);
            self->chunks.push_back(std::move(chunk));
            if (self->draining) return;
            self->draining = true;
        }
        self->pool->post([self] { drain(self); });
    }

    static void drain(const std::shared_ptr<CallDecoding>& self) { self->drain_queue(self); }

    void drain_queue(const std::shared_ptr<CallDecoding>& self) {
        for (;;) {
            Chunk chunk;
            {
                std::lock_guard lock(mutex);
                if (chunks.empty() || cancelled.load(std::memory_order_relaxed)) {
                    chunks.clear();
                    draining = false;
                    if (cancelled.load(std::memory_order_relaxed)) stop_live();
                    return;
                }
                chunk = std::move(chunks.front());
                chunks.pop_front();
            }
            if (!handle(chunk)) {
                {
                    std::lock_guard lock(mutex);
                    chunks.push_front(Chunk{Chunk::Kind::finish, {}});
                }
                pool->post([self] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    drain(self);
                });
                return;
            }
            chunk.pcm.clear();
            std::lock_guard lock(mutex);
            if (in_turn && spare.size() < kSpareBuffers) spare.push_back(std::move(chunk.pcm));
            if (!in_turn) release(spare);  // a call between turns holds no buffers
        }
    }

    // False when the turn's end must wait for a decoder (then retried as `finish`).
    bool handle(const Chunk& chunk) {
        switch (chunk.kind) {
            case Chunk::Kind::start:
                start_turn();
                return true;
            case Chunk::Kind::audio:
                add_audio(chunk.pcm);
                return true;
            case Chunk::Kind::end:
                add_audio(chunk.pcm, true);
                return end_turn();
            case Chunk::Kind::whole: {
                const auto pcm = to_model_rate(chunk.pcm, true);
                if (!pcm) return true;
                buffered.assign(pcm->begin(), pcm->end());
                in_turn = true;
                return end_turn();
            }
            case Chunk::Kind::finish:
                return end_turn();
        }
        return true;
    }

    // `pcm` at the model's rate (a view into `resampled` or the chunk), or nullopt after an
    // error was reported.
    std::optional<std::span<const std::int16_t>> to_model_rate(std::span<const std::int16_t> pcm,
                                                               bool last) {
        if (rate == kModelRate) return pcm;
        if (!resampler) {
            // Created for the turn and released with it. speexdsp's VoIP filter is what the
            // engine's own resampling used when this provider took 16 kHz audio; the chunk
            // size is a batch (larger chunks go through in pieces).
            auto r = audio::Resampler::create(rate, kModelRate, 1, audio::ResampleQuality::voip,
                                              std::size_t{rate} * kBatchMs / 1000);
            if (!r) {
                sink->on_error(r.error());
                return std::nullopt;
            }
            resampler.emplace(std::move(*r));
        }
        resampled.clear();
        if (pcm.empty() && !last) return std::span<const std::int16_t>{};
        if (auto st = resampler->process_append(pcm, resampled, last); !st) {
            sink->on_error(st.error());
            return std::nullopt;
        }
        return std::span<const std::int16_t>(resampled);
    }

    void start_turn() {
        stop_live();
        in_turn = true;
        since_interim = 0;
        last_interim.clear();
        buffered.clear();
        auto pool_of_decoders = decoders.lock();
        if (!pool_of_decoders || load_error) return;  // reported by the turn's end
        auto lease = pool_of_decoders->try_borrow(phrases);
        if (!lease) {
            load_error = lease.error();
            return;
        }
        if (!*lease) return;  // every decoder lent: buffer, decode at the end
        ps_decoder_t* ps = lease->get();
        guessed_mean = !mean.known;
        local::set_cepstral_mean(ps, mean);
        if (ps_start_utt(ps) < 0) {
            lease->discard();
            return;
        }
        live.emplace(std::move(*lease));
    }

    void add_audio(std::span<const std::int16_t> chunk, bool last = false) {
        if (!in_turn) return;
        const auto pcm = to_model_rate(chunk, last);
        if (!pcm || pcm->empty()) return;
        // Kept during a live decode too, for a second, whole decode of a doubtful turn.
        if (buffered.size() + pcm->size() <= kMaxTurnSamples)
            buffered.insert(buffered.end(), pcm->begin(), pcm->end());
        if (!live) return;
        ps_decoder_t* ps = live->get();
        if (ps_process_raw(ps, pcm->data(), pcm->size(), FALSE, FALSE) < 0) {
            live->discard();
            live.reset();
            in_turn = false;
            return sink->on_error(Error{Errc::internal, "pocketsphinx: decoding failed"});
        }
        since_interim += pcm->size();
        if (last || since_interim < kInterimSamples) return;
        since_interim = 0;
        const auto heard = local::read_hypothesis(ps, *phrases);
        if (heard.text.empty() || heard.text == last_interim) return;
        last_interim = heard.text;
        if (!cancelled.load(std::memory_order_relaxed))
            sink->on_transcript(heard.text, false, heard.confidence);
    }

    bool end_turn() {
        if (!in_turn) return true;
        const bool was_live = live.has_value();
        if (!was_live && !buffered.empty() && !load_error) {
            auto pool_of_decoders = decoders.lock();
            if (!pool_of_decoders) {
                load_error = Error{Errc::invalid_state, "pocketsphinx: the provider is gone"};
            } else if (auto borrowed = pool_of_decoders->try_borrow(phrases); !borrowed) {
                load_error = borrowed.error();
            } else if (!*borrowed) {
                return false;  // every decoder is lent
            } else {
                live.emplace(std::move(*borrowed));
            }
        }
        in_turn = false;
        finish_turn(was_live);
        return true;
    }

    void finish_turn(bool was_live) {
        local::Hypothesis heard;
        std::optional<DecoderPool::Lease> lease = std::move(live);
        live.reset();
        if (was_live) {
            ps_decoder_t* ps = lease->get();
            ps_end_utt(ps);
            heard = local::read_hypothesis(ps, *phrases);
            mean = local::cepstral_mean(ps);
        }
        // A turn without a live decoder is decoded whole with the turn's own mean. So is a
        // doubtful first turn, normalised from the phone-band guess (a wideband call, or a
        // line unlike the recordings the guess came from); its mean then becomes the call's
        // estimate. Later turns start from the call's own mean and are not decoded twice.
        const bool doubtful = heard.confidence != kUnknownConfidence && heard.confidence < 0.5;
        if (lease && !buffered.empty() && (!was_live || (doubtful && guessed_mean))) {
            auto whole = local::decode_whole(lease->get(), buffered, *phrases);
            if (!whole) {
                lease->discard();
                release_turn();
                return sink->on_error(whole.error());
            }
            if (!was_live || whole->confidence > heard.confidence) {
                heard = std::move(*whole);
                mean = local::cepstral_mean(lease->get());
            }
        } else if (!lease && load_error) {
            release_turn();
            return sink->on_error(*load_error);
        }
        release_turn();
        lease.reset();
        if (cancelled.load(std::memory_order_relaxed)) return;
        sink->on_transcript(heard.text, true, heard.confidence);
    }

    // What only a turn needs, given back when it ends.
    void release_turn() {
        release(buffered);
        release(resampled);
        resampler.reset();
    }

    // Frees the decoder of a turn that never ended (a cancelled call): given back mid-way, it
    // misheard the next call's turn in a test ("goodbye" as "open i", 0.88), so it is not
    // trusted with another turn; the pool loads a fresh one when needed.
    void stop_live() {
        if (!live) return;
        ps_end_utt(live->get());  // freeing a decoder mid-utterance leaks its search's lists
        live->discard();
        live.reset();
    }
};

class PocketsphinxStream final : public SttStream {
  public:
    PocketsphinxStream(std::shared_ptr<CallDecoding> decoding, std::uint32_t preroll_ms,
                       bool speech_start_hints)
        : decoding_(std::move(decoding)),
          audio_(decoding_->rate, kMaxTurnSeconds * 1000, preroll_ms, speech_start_hints),
          batch_(std::size_t{decoding_->rate} * kBatchMs / 1000) {
        // Turn one then finds a decoder of its phrases loaded (unless every slot is lent).
        decoding_->pool->post([decoders = decoding_->decoders, phrases = decoding_->phrases] {
            if (auto d = decoders.lock()) d->warm(phrases);
        });
    }
    ~PocketsphinxStream() override {
        cancel();
        // A turn's leased decoder is freed on a worker (the drain job does that when it finds
        // the call cancelled).
        if (live_) CallDecoding::enqueue(decoding_, Chunk{Chunk::Kind::finish, {}});
    }

    void cancel() override { decoding_->cancelled.store(true, std::memory_order_relaxed); }

    // Silence costs a copy into the ring; during a turn every kBatchMs go to the worker.
    void send_audio(std::span<const std::int16_t> samples) override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        audio_.push(samples);
        if (live_ && audio_.untaken() >= batch_) hand_off(Chunk::Kind::audio);
    }

    void speech_started() override { speech_started_at(0); }
    void speech_started_at(std::uint32_t onset_ms_ago) override {
        if (decoding_->cancelled.load(std::memory_order_relaxed) || live_) return;
        live_ = true;
        audio_.speech_started(onset_ms_ago);  // from the preroll before the onset
        CallDecoding::enqueue(decoding_, Chunk{Chunk::Kind::start, {}});
        hand_off(Chunk::Kind::audio);  // the preroll and the speech so far
    }

    void end_of_turn() override {
        if (decoding_->cancelled.load(std::memory_order_relaxed)) return;
        if (live_) {
            live_ = false;
            hand_off(Chunk::Kind::end);
            audio_.cut();  // empty now; starts the next turn
        } else {
            CallDecoding::enqueue(decoding_, Chunk{Chunk::Kind::whole, audio_.cut()});
        }
    }

  private:
    void hand_off(Chunk::Kind kind) {
        Chunk chunk{kind, decoding_->take_spare()};
        chunk.pcm.reserve(std::max(batch_ * 2, audio_.untaken()));
        audio_.take(chunk.pcm);
        CallDecoding::enqueue(decoding_, std::move(chunk));
    }

    std::shared_ptr<CallDecoding> decoding_;
    TurnAudio audio_;  // a preroll between turns; a turn's audio (its newest kMaxTurnSeconds)
    const std::size_t batch_;
    bool live_ = false;  // a turn is decoding as the caller speaks
};

// Loads a decoder of `phrases` and runs a short utterance through it as a turn would (its
// first decode allocates the search's lattices and tables), so the first call's turn finds it
// ready. The decoder goes back to the pool idle.
void prewarm_decoder(DecoderPool& decoders, const PhraseSet& phrases) {
    auto lease = decoders.borrow(phrases);
    if (!lease || !*lease) return;  // a load error is the first turn's to report
    ps_decoder_t* ps = lease->get();
    local::set_cepstral_mean(ps, local::CepstralMean{});
    if (ps_start_utt(ps) < 0) return lease->discard();
    // 300 ms of faint noise: enough for the search to run through its frames.
    std::vector<std::int16_t> noise(kModelRate * 3 / 10);
    std::uint32_t seed = 1;
    for (auto& s : noise) {
        seed = seed * 1664525u + 1013904223u;
        s = static_cast<std::int16_t>(static_cast<std::int32_t>(seed >> 24) - 128);
    }
    ps_process_raw(ps, noise.data(), noise.size(), FALSE, FALSE);
    ps_end_utt(ps);
}

class PocketsphinxStt final : public SttProvider {
  public:
    PocketsphinxStt(std::shared_ptr<DecoderPool> decoders, std::uint32_t preroll_ms,
                    std::shared_ptr<WorkerPool> pool)
        : decoders_(std::move(decoders)), preroll_ms_(preroll_ms), pool_(std::move(pool)) {}

    std::string_view name() const override { return "pocketsphinx"; }
    // The line's own rate: the turn's audio is resampled on the worker, silence never.
    std::uint32_t sample_rate_hz() const override { return 0; }

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
            std::make_unique<PocketsphinxStream>(std::move(decoding), preroll_ms_,
                                                 options.speech_start_hints));
    }

    void prewarm(const std::vector<std::string>& phrases) override {
        prewarming_->fetch_add(1);
        pool_->post([decoders = decoders_, pending = prewarming_,
                     set = std::make_shared<const std::vector<std::string>>(phrases)] {
            prewarm_decoder(*decoders, set);
            pending->fetch_sub(1);
        });
    }
    bool prewarmed() override { return prewarming_->load() == 0; }

    local::DecoderPoolStats stats() const { return decoders_->stats(); }

  private:
    std::shared_ptr<DecoderPool> decoders_;
    std::shared_ptr<std::atomic<int>> prewarming_ = std::make_shared<std::atomic<int>>(0);
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
        DecoderPool::create(std::move(model), options.use_grammar, options.reject, cap),
        options.preroll_ms, std::move(pool)));
}

namespace local {

std::optional<DecoderPoolStats> pocketsphinx_decoder_stats(const SttProvider& stt) {
    if (const auto* ps = dynamic_cast<const PocketsphinxStt*>(&stt)) return ps->stats();
    return std::nullopt;
}

}  // namespace local
}  // namespace ringoverbot::providers
