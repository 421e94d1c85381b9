// OpenAI speech to text (POST {base}/audio/transcriptions, multipart/form-data), one request a
// turn: the engine's VAD endpoints the turn locally, the turn's audio (from a preroll before
// the speech start) goes up as a 16 kHz WAV, and the returned text is the turn's final. Finals
// are delivered in turn order even when a later request answers first. Their confidence is
// what the model's answer offers (speech_wire.hpp: whisper models' verbose_json segments,
// gpt-4o transcribe models' token logprobs), else kUnknownConfidence.
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/speech_wire.hpp"
#include "providers/turn_audio.hpp"

namespace ringoverbot::providers {
namespace {

constexpr std::uint32_t kRate = 16000;

// The turns of one stream waiting for their transcripts, in order.
struct TurnQueue {
    std::shared_ptr<SttSink> sink;
    std::mutex mutex;
    struct Turn {
        std::uint64_t id = 0;
        bool answered = false;
        bool failed = false;
        std::string text;
        double confidence = kUnknownConfidence;
        Error error;
    };
    std::deque<Turn> turns;
    bool cancelled = false;

    // Records a turn's result and delivers every answered turn at the queue's head. The sink
    // is called under the lock: results come from the loop thread and (an empty turn) the
    // engine's, and the lock keeps them in turn order and never concurrent.
    void answer(std::uint64_t id, cloud::Transcription result, const Error* error) {
        std::lock_guard lock(mutex);
        if (cancelled) return;
        for (auto& t : turns)
            if (t.id == id) {
                t.answered = true;
                t.text = std::move(result.text);
                t.confidence = result.confidence >= 0 ? result.confidence : kUnknownConfidence;
                if (error) {
                    t.failed = true;
                    t.error = *error;
                }
            }
        while (!turns.empty() && turns.front().answered) {
            const Turn& t = turns.front();
            if (t.failed)
                sink->on_error(t.error);
            else
                sink->on_transcript(t.text, true, t.confidence);
            turns.pop_front();
        }
    }
};

class TranscriptionHandler final : public net::HttpHandler {
  public:
    TranscriptionHandler(std::shared_ptr<TurnQueue> queue, std::uint64_t id)
        : queue_(std::move(queue)), id_(id) {}
    void on_body(std::span<const std::uint8_t> data) override {
        if (body_.size() + data.size() > kMaxBody) return;  // caught at the end as bad JSON
        body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    }
    void on_complete() override {
        auto result = cloud::parse_transcription(body_);
        if (!result) {
            const Error e{Errc::provider_failed, "openai-stt: " + result.error().message};
            return queue_->answer(id_, {}, &e);
        }
        queue_->answer(id_, std::move(*result), nullptr);
    }
    void on_failure(const net::Failure& failure) override {
        const Error e{failure.code(), "openai-stt: " + failure.message};
        queue_->answer(id_, {}, &e);
    }

  private:
    static constexpr std::size_t kMaxBody = 1 << 20;
    std::shared_ptr<TurnQueue> queue_;
    std::uint64_t id_;
    std::string body_;
};

class OpenAiSttStream final : public SttStream {
  public:
    OpenAiSttStream(const OpenAiSttOptions& options, std::shared_ptr<net::ClientLoop> loop,
                    net::Url url, std::shared_ptr<SttSink> sink, std::vector<std::string> phrases,
                    bool speech_start_hints)
        : options_(options),
          loop_(std::move(loop)),
          url_(std::move(url)),
          audio_(kRate, options.max_turn_ms, options.preroll_ms, speech_start_hints),
          queue_(std::make_shared<TurnQueue>()) {
        queue_->sink = std::move(sink);
        // Whisper takes a prompt of vocabulary: the phrases the caller is expected to say.
        for (const auto& p : phrases) {
            if (params_prompt_.size() + p.size() > 800) break;
            if (!params_prompt_.empty()) params_prompt_ += ", ";
            params_prompt_ += p;
        }
    }
    ~OpenAiSttStream() override { cancel(); }

    void cancel() override {
        {
            std::lock_guard lock(queue_->mutex);
            queue_->cancelled = true;
        }
        requests_.clear();  // closes every connection at once
    }

    void send_audio(std::span<const std::int16_t> samples) override { audio_.push(samples); }
    void speech_started() override { audio_.speech_started(); }
    void speech_started_at(std::uint32_t onset_ms_ago) override {
        audio_.speech_started(onset_ms_ago);
    }

    void end_of_turn() override {
        std::vector<std::int16_t> turn = audio_.cut();
        const std::uint64_t id = next_id_++;
        {
            std::lock_guard lock(queue_->mutex);
            if (queue_->cancelled) return;
            queue_->turns.push_back({id, false, false, {}, kUnknownConfidence, {}});
        }
        if (turn.empty()) return queue_->answer(id, {}, nullptr);
        cloud::TranscriptionParams params;
        params.model = options_.model;
        params.language = options_.language;
        params.prompt = params_prompt_;
        const auto form = cloud::transcription_form(params, cloud::wav_bytes(turn, kRate));
        const std::string boundary = cloud::multipart_boundary(form, id * 0x9E3779B97F4A7C15ull);
        net::Header auth{"Authorization", "", true};
        if (!options_.api_key.empty()) auth.value = "Bearer " + options_.api_key;
        net::HttpRequest r = cloud::post("openai", url_, std::move(auth),
                                         "multipart/form-data; boundary=" + boundary,
                                         cloud::build_multipart(boundary, form), options_.timeouts);
        // Handles of turns delivered already are done with; the others must stay (dropping one
        // would cancel its request, and the turns after it would wait for it for ever).
        {
            std::lock_guard lock(queue_->mutex);
            const std::uint64_t oldest_waiting =
                queue_->turns.empty() ? id : queue_->turns.front().id;
            while (!requests_.empty() && requests_.front().first < oldest_waiting)
                requests_.pop_front();
        }
        requests_.emplace_back(
            id, loop_->http(std::move(r), std::make_shared<TranscriptionHandler>(queue_, id)));
    }

  private:
    OpenAiSttOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
    net::Url url_;
    TurnAudio audio_;
    std::shared_ptr<TurnQueue> queue_;
    std::deque<std::pair<std::uint64_t, std::unique_ptr<Request>>> requests_;  // by turn id
    std::string params_prompt_;
    std::uint64_t next_id_ = 1;
};

class OpenAiStt final : public SttProvider {
  public:
    OpenAiStt(OpenAiSttOptions options, std::shared_ptr<net::ClientLoop> loop, net::Url url)
        : options_(std::move(options)), loop_(std::move(loop)), url_(std::move(url)) {}
    std::string_view name() const override { return "openai-stt"; }
    std::uint32_t sample_rate_hz() const override { return kRate; }
    Result<std::unique_ptr<SttStream>> open(const SttOptions& options,
                                            std::shared_ptr<SttSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "openai-stt: no sink"};
        if (options.sample_rate_hz != kRate)
            return Error{Errc::invalid_argument, "openai-stt: audio must be 16 kHz"};
        return std::unique_ptr<SttStream>(std::make_unique<OpenAiSttStream>(
            options_, loop_, url_, std::move(sink), options.phrases, options.speech_start_hints));
    }

  private:
    OpenAiSttOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
    net::Url url_;
};

}  // namespace

Result<std::shared_ptr<SttProvider>> make_openai_stt(OpenAiSttOptions options,
                                                     std::shared_ptr<CloudClient> client) {
    auto loop = cloud::client_loop(client, "openai-stt");
    if (!loop) return loop.error();
    if (options.model.empty()) return Error{Errc::invalid_argument, "openai-stt: model is empty"};
    if (options.max_turn_ms < 1000 || options.max_turn_ms > 300000)
        return Error{Errc::invalid_argument, "openai-stt: max_turn_ms outside 1000..300000"};
    if (options.preroll_ms > 5000)
        return Error{Errc::invalid_argument, "openai-stt: preroll_ms above 5000"};
    auto url = cloud::endpoint("openai-stt", options.base_url, "/audio/transcriptions", false);
    if (!url) return url.error();
    return std::shared_ptr<SttProvider>(
        std::make_shared<OpenAiStt>(std::move(options), std::move(*loop), std::move(*url)));
}

}  // namespace ringoverbot::providers
