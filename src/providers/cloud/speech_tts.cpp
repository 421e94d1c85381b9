// The HTTP text-to-speech providers: ElevenLabs (POST {base}/text-to-speech/{voice}/stream,
// key in xi-api-key, audio in the format asked for: ulaw_8000 for an 8 kHz line, pcm_16000 or
// pcm_24000 otherwise, so nothing is transcoded here) and OpenAI (POST {base}/audio/speech
// with response_format pcm: 24 kHz s16le). The body streams (chunked); every chunk's samples
// go to the sink as they arrive, an odd byte waiting for its partner.
#include <memory>
#include <string>
#include <vector>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/speech_wire.hpp"

namespace ringoverbot::providers {
namespace {

using cloud::AudioBodyDecoder;

class AudioHandler final : public net::HttpHandler {
  public:
    AudioHandler(std::string who, AudioBodyDecoder decoder, std::shared_ptr<TtsSink> sink)
        : who_(std::move(who)), decoder_(decoder), sink_(std::move(sink)) {}

    void on_body(std::span<const std::uint8_t> data) override {
        if (over_) return;
        decoder_.feed(data, samples_);
        if (!samples_.empty()) sink_->on_audio(samples_, decoder_.sample_rate_hz());
    }
    void on_complete() override {
        if (over_) return;
        over_ = true;
        sink_->on_done();
    }
    void on_failure(const net::Failure& failure) override {
        if (over_) return;
        over_ = true;
        sink_->on_error(Error{failure.code(), who_ + ": " + failure.message});
    }

  private:
    std::string who_;
    AudioBodyDecoder decoder_;
    std::shared_ptr<TtsSink> sink_;
    std::vector<std::int16_t> samples_;
    bool over_ = false;
};

class ElevenLabsTts final : public TtsProvider {
  public:
    ElevenLabsTts(ElevenLabsTtsOptions options, std::shared_ptr<net::ClientLoop> loop)
        : options_(std::move(options)), loop_(std::move(loop)) {}

    std::string_view name() const override { return "elevenlabs"; }

    Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                std::shared_ptr<TtsSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "elevenlabs: no sink"};
        cloud::ElevenLabsParams params;
        params.voice_id = request.voice.empty() ? options_.voice_id : request.voice;
        params.model_id = options_.model_id;
        const std::string format = cloud::elevenlabs_output_format(request.sample_rate_hz);
        auto decoder = AudioBodyDecoder::for_output_format(format);
        if (!decoder)
            return Error{Errc::invalid_argument, "elevenlabs: " + decoder.error().message};
        auto url = cloud::endpoint("elevenlabs", options_.base_url,
                                   cloud::elevenlabs_stream_path(params, format), false);
        if (!url) return url.error();
        net::HttpRequest r = cloud::post(
            "elevenlabs", std::move(*url), {"xi-api-key", options_.api_key, true},
            "application/json", cloud::elevenlabs_request(params, request.text), options_.timeouts);
        r.headers.push_back(
            {"Accept", format.rfind("ulaw", 0) == 0 ? "audio/basic" : "audio/pcm", false});
        return loop_->http(std::move(r),
                           std::make_shared<AudioHandler>("elevenlabs", *decoder, std::move(sink)));
    }

  private:
    ElevenLabsTtsOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
};

class OpenAiTts final : public TtsProvider {
  public:
    OpenAiTts(OpenAiTtsOptions options, std::shared_ptr<net::ClientLoop> loop, net::Url url)
        : options_(std::move(options)), loop_(std::move(loop)), url_(std::move(url)) {}

    std::string_view name() const override { return "openai-tts"; }

    Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                std::shared_ptr<TtsSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "openai-tts: no sink"};
        cloud::OpenAiSpeechParams params;
        params.model = options_.model;
        params.voice = request.voice.empty() ? options_.voice : request.voice;
        params.speed = options_.speed;
        net::Header auth{"Authorization", "", true};
        if (!options_.api_key.empty()) auth.value = "Bearer " + options_.api_key;
        net::HttpRequest r =
            cloud::post("openai", url_, std::move(auth), "application/json",
                        cloud::openai_speech_request(params, request.text), options_.timeouts);
        return loop_->http(std::move(r), std::make_shared<AudioHandler>(
                                             "openai-tts",
                                             AudioBodyDecoder(AudioBodyDecoder::Format::pcm_s16le,
                                                              cloud::kOpenAiPcmRate),
                                             std::move(sink)));
    }

  private:
    OpenAiTtsOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
    net::Url url_;
};

}  // namespace

Result<std::shared_ptr<TtsProvider>> make_elevenlabs_tts(ElevenLabsTtsOptions options,
                                                         std::shared_ptr<CloudClient> client) {
    auto loop = cloud::client_loop(client, "elevenlabs");
    if (!loop) return loop.error();
    if (options.voice_id.empty())
        return Error{Errc::invalid_argument, "elevenlabs: voice_id is empty"};
    // The URL is per voice and format; check the base once here.
    if (auto u = cloud::endpoint("elevenlabs", options.base_url, "/text-to-speech", false); !u)
        return u.error();
    return std::shared_ptr<TtsProvider>(
        std::make_shared<ElevenLabsTts>(std::move(options), std::move(*loop)));
}

Result<std::shared_ptr<TtsProvider>> make_openai_tts(OpenAiTtsOptions options,
                                                     std::shared_ptr<CloudClient> client) {
    auto loop = cloud::client_loop(client, "openai-tts");
    if (!loop) return loop.error();
    if (options.model.empty()) return Error{Errc::invalid_argument, "openai-tts: model is empty"};
    auto url = cloud::endpoint("openai-tts", options.base_url, "/audio/speech", false);
    if (!url) return url.error();
    return std::shared_ptr<TtsProvider>(
        std::make_shared<OpenAiTts>(std::move(options), std::move(*loop), std::move(*url)));
}

}  // namespace ringoverbot::providers
