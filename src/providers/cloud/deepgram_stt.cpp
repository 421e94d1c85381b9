// Deepgram live transcription over one WebSocket per call (wss://api.deepgram.com/v1/listen).
//
// - Audio goes at the line's own rate and encoding (linear16, mulaw or alaw; G.711 samples
//   re-encode to the bytes the line carried), one binary message per engine frame.
// - Interim results reach the sink as interim transcripts; finals accumulate until the turn is
//   over. Each carries channel.alternatives[0].confidence; the turn's final (its segments
//   joined) carries their mean weighted by each segment's duration, so a long clear sentence
//   is not sunk by a short doubtful "um" nor lifted by one. Segments without a confidence do
//   not count; none with one: kUnknownConfidence. Deepgram's speech_final / UtteranceEnd mark the
//   utterance closed and reach the engine as on_utterance_end() (a turn signal beside its own VAD);
//   SpeechStarted reaches it as on_speech_started() (barge-in).
// - The engine's end_of_turn() delivers the accumulated finals at once when Deepgram already
//   closed the utterance; otherwise it sends Finalize and delivers at the answer (a result with
//   from_finalize or speech_final, or UtteranceEnd).
// - Silence suppression: after 1.5 s of near-digital silence (peak below -60 dBFS) audio stops
//   and a KeepAlive goes every keepalive_ms instead (Deepgram closes a stream that gets
//   neither for 10 s); the last 200 ms are sent ahead of the next sound.
// - cancel() sends CloseStream and closes the socket; nothing reaches the sink after it.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/deepgram_wire.hpp"
#include "ringoverbot/audio.hpp"

namespace ringoverbot::providers {
namespace {

using cloud::DeepgramKind;

constexpr std::int16_t kSilencePeak = 32;  // -60 dBFS
constexpr std::uint32_t kSuppressAfterMs = 1500;
constexpr std::uint32_t kResumePrerollMs = 200;

// What the socket's handler and the stream share. The handler runs on the client loop
// thread, the stream's methods on the engine's; `mutex` orders them.
struct DeepgramCall final : net::WsHandler {
    std::mutex mutex;
    std::shared_ptr<SttSink> sink;
    bool cancelled = false;
    bool ended = false;   // the socket is over (closed or failed)
    std::string pending;  // finals of the current turn
    // Their confidences weighted by duration (a segment of no duration weighs as 1 ms).
    double confidence_sum = 0, confidence_weight = 0;
    bool utterance_closed =
        false;                    // Deepgram said the utterance ended (speech_final, UtteranceEnd)
    bool turn_requested = false;  // end_of_turn() waits for Deepgram's answer
    // After cancel(), the connection closes on its own (CloseStream first); the handler keeps
    // it until then.
    std::unique_ptr<net::WsConnection> closing;

    void on_message(std::span<const std::uint8_t> data, bool binary) override {
        if (binary) return;
        auto msg = cloud::parse_deepgram_message(
            std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
        std::lock_guard lock(mutex);
        if (cancelled) return;
        if (!msg) return;  // a message we do not know is not an error of the stream
        switch (msg->kind) {
            case DeepgramKind::results:
                if (!msg->is_final) {
                    if (!msg->transcript.empty())
                        sink->on_transcript(msg->transcript, false, confidence_of(*msg));
                    return;
                }
                if (!msg->transcript.empty()) {
                    if (!pending.empty()) pending.push_back(' ');
                    pending += msg->transcript;
                    if (msg->confidence >= 0) {
                        // Bounded: a hostile duration must not overflow the sums.
                        const double weight = std::clamp(msg->duration_s, 0.001, 3600.0);
                        confidence_sum += msg->confidence * weight;
                        confidence_weight += weight;
                    }
                }
                if (turn_requested && (msg->from_finalize || msg->speech_final)) return deliver();
                if (msg->speech_final && !pending.empty()) {
                    utterance_closed = true;
                    sink->on_utterance_end();
                }
                return;
            case DeepgramKind::utterance_end:
                if (turn_requested) return deliver();
                if (!pending.empty()) {
                    utterance_closed = true;
                    sink->on_utterance_end();
                }
                return;
            case DeepgramKind::speech_started:
                utterance_closed = false;
                sink->on_speech_started();
                return;
            case DeepgramKind::error:
                sink->on_error(Error{Errc::provider_failed, "deepgram: " + msg->error});
                return;
            case DeepgramKind::metadata:
            case DeepgramKind::other:
                return;
        }
    }

    void on_closed(int close_code) override {
        std::unique_ptr<net::WsConnection> done;
        std::lock_guard lock(mutex);
        ended = true;
        done = std::move(closing);
        if (cancelled) return;
        sink->on_error(Error{
            Errc::provider_failed,
            "deepgram: the service closed the stream (code " + std::to_string(close_code) + ")"});
    }

    void on_failure(const net::Failure& failure) override {
        std::unique_ptr<net::WsConnection> done;
        std::lock_guard lock(mutex);
        ended = true;
        done = std::move(closing);
        if (cancelled) return;
        sink->on_error(Error{failure.code(), "deepgram: " + failure.message});
    }

    static double confidence_of(const cloud::DeepgramMessage& msg) {
        return msg.confidence >= 0 ? msg.confidence : kUnknownConfidence;
    }

    // Under the lock.
    void deliver() {
        const double confidence = confidence_weight > 0
                                      ? std::clamp(confidence_sum / confidence_weight, 0.0, 1.0)
                                      : kUnknownConfidence;
        sink->on_transcript(pending, true, confidence);
        pending.clear();
        confidence_sum = confidence_weight = 0;
        turn_requested = false;
        utterance_closed = false;
    }
};

class DeepgramStream final : public SttStream {
  public:
    DeepgramStream(std::shared_ptr<DeepgramCall> call, std::unique_ptr<net::WsConnection> ws,
                   LineEncoding encoding, std::uint32_t rate, std::uint32_t keepalive_ms)
        : call_(std::move(call)),
          ws_(std::move(ws)),
          encoding_(encoding),
          keepalive_samples_(std::uint64_t{rate} * keepalive_ms / 1000),
          suppress_after_(std::uint64_t{rate} * kSuppressAfterMs / 1000),
          resume_(std::size_t{rate} * kResumePrerollMs / 1000) {}
    ~DeepgramStream() override { cancel(); }

    void cancel() override {
        if (!ws_) return;
        {
            std::lock_guard lock(call_->mutex);
            call_->cancelled = true;
        }
        ws_->send_text(std::string(cloud::kDeepgramCloseStream));
        ws_->close();
        std::lock_guard lock(call_->mutex);
        // Still open: the handler drops the connection when the close completes.
        if (!call_->ended) call_->closing = std::move(ws_);
        ws_.reset();
    }

    void send_audio(std::span<const std::int16_t> samples) override {
        if (!ws_ || samples.empty()) return;
        std::int16_t peak = 0;
        for (std::int16_t s : samples)
            peak = std::max<std::int16_t>(peak, static_cast<std::int16_t>(s < 0 ? -(s + 1) : s));
        if (peak < kSilencePeak) {
            silent_run_ += samples.size();
            if (silent_run_ > suppress_after_) {
                keep_resume(samples);
                suppressed_ += samples.size();
                if (suppressed_ >= keepalive_samples_) {
                    suppressed_ = 0;
                    ws_->send_text(std::string(cloud::kDeepgramKeepAlive));
                }
                return;
            }
        } else {
            if (silent_run_ > suppress_after_ && !resume_.empty()) send(resume_audio());
            silent_run_ = 0;
            suppressed_ = 0;
            resume_fill_ = 0;
        }
        send(samples);
    }

    void end_of_turn() override {
        if (!ws_) return;
        bool finalize = false;
        {
            std::lock_guard lock(call_->mutex);
            if (call_->utterance_closed && !call_->pending.empty()) {
                call_->deliver();
            } else {
                call_->turn_requested = true;
                finalize = true;
            }
        }
        if (finalize) ws_->send_text(std::string(cloud::kDeepgramFinalize));
    }

  private:
    void send(std::span<const std::int16_t> samples) {
        std::vector<std::uint8_t> bytes;
        switch (encoding_) {
            case LineEncoding::pcmu:
                bytes.resize(samples.size());
                for (std::size_t i = 0; i < samples.size(); ++i)
                    bytes[i] = audio::ulaw_encode(samples[i]);
                break;
            case LineEncoding::pcma:
                bytes.resize(samples.size());
                for (std::size_t i = 0; i < samples.size(); ++i)
                    bytes[i] = audio::alaw_encode(samples[i]);
                break;
            case LineEncoding::l16:
                bytes.resize(samples.size() * 2);
                for (std::size_t i = 0; i < samples.size(); ++i) {
                    const auto u = static_cast<std::uint16_t>(samples[i]);
                    bytes[2 * i] = static_cast<std::uint8_t>(u & 0xFF);
                    bytes[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
                }
                break;
        }
        ws_->send_binary(std::move(bytes));
    }

    // The newest kResumePrerollMs of suppressed audio, in a ring.
    void keep_resume(std::span<const std::int16_t> samples) {
        for (std::int16_t s : samples) {
            resume_[resume_at_] = s;
            resume_at_ = (resume_at_ + 1) % resume_.size();
            resume_fill_ = std::min(resume_fill_ + 1, resume_.size());
        }
    }
    std::vector<std::int16_t> resume_audio() const {
        std::vector<std::int16_t> out(resume_fill_);
        const std::size_t start = (resume_at_ + resume_.size() - resume_fill_) % resume_.size();
        for (std::size_t i = 0; i < resume_fill_; ++i)
            out[i] = resume_[(start + i) % resume_.size()];
        return out;
    }

    std::shared_ptr<DeepgramCall> call_;
    std::unique_ptr<net::WsConnection> ws_;
    LineEncoding encoding_;
    std::uint64_t keepalive_samples_;
    std::uint64_t suppress_after_;
    std::uint64_t silent_run_ = 0;
    std::uint64_t suppressed_ = 0;
    std::vector<std::int16_t> resume_;
    std::size_t resume_at_ = 0, resume_fill_ = 0;
};

class DeepgramStt final : public SttProvider {
  public:
    DeepgramStt(DeepgramSttOptions options, std::shared_ptr<net::ClientLoop> loop)
        : options_(std::move(options)), loop_(std::move(loop)) {}

    std::string_view name() const override { return "deepgram"; }
    std::uint32_t sample_rate_hz() const override { return 0; }  // the line's own

    Result<std::unique_ptr<SttStream>> open(const SttOptions& options,
                                            std::shared_ptr<SttSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "deepgram: no sink"};
        if (options.sample_rate_hz < 8000 || options.sample_rate_hz > 48000)
            return Error{Errc::invalid_argument, "deepgram: sample rate outside 8..48 kHz"};
        cloud::DeepgramParams params;
        params.model = options_.model;
        params.language = options_.language.empty() ? options.language : options_.language;
        params.sample_rate = options.sample_rate_hz;
        params.encoding = options.line_encoding == LineEncoding::pcmu   ? "mulaw"
                          : options.line_encoding == LineEncoding::pcma ? "alaw"
                                                                        : "linear16";
        params.interim_results = options_.interim_results;
        params.endpointing_ms = options_.endpointing_ms;
        params.utterance_end_ms = options_.interim_results ? options_.utterance_end_ms : 0;
        params.vad_events = options_.vad_events;
        auto url = cloud::endpoint("deepgram", options_.base_url,
                                   "/listen" + cloud::deepgram_listen_query(params), true);
        if (!url) return url.error();
        net::WsRequest r;
        r.provider = "deepgram";
        r.url = std::move(*url);
        if (!options_.api_key.empty())
            r.headers.push_back({"Authorization", "Token " + options_.api_key, true});
        r.deadlines = cloud::deadlines(options_.timeouts);
        r.deadlines.total_ms = 0;  // the stream lives as long as the call
        r.retry = cloud::retry_policy(options_.timeouts);
        auto call = std::make_shared<DeepgramCall>();
        call->sink = std::move(sink);
        auto ws = loop_->websocket(std::move(r), call);
        return std::unique_ptr<SttStream>(std::make_unique<DeepgramStream>(
            std::move(call), std::move(ws), options.line_encoding, options.sample_rate_hz,
            std::max<std::uint32_t>(options_.keepalive_ms, 500)));
    }

  private:
    DeepgramSttOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
};

}  // namespace

Result<std::shared_ptr<SttProvider>> make_deepgram_stt(DeepgramSttOptions options,
                                                       std::shared_ptr<CloudClient> client) {
    auto loop = cloud::client_loop(client, "deepgram");
    if (!loop) return loop.error();
    if (options.model.empty()) return Error{Errc::invalid_argument, "deepgram: model is empty"};
    if (auto u = cloud::endpoint("deepgram", options.base_url, "/listen", true); !u)
        return u.error();
    return std::shared_ptr<SttProvider>(
        std::make_shared<DeepgramStt>(std::move(options), std::move(*loop)));
}

}  // namespace ringoverbot::providers
