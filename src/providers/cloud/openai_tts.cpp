// OpenAI text to speech: POST {base}/audio/speech with response_format pcm (24 kHz s16le), to the
// sink as it streams in (tts_audio_handler.hpp).
#include <memory>
#include <string>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/speech_wire.hpp"
#include "providers/cloud/tts_audio_handler.hpp"

namespace ringoverbot::providers {
namespace {

using cloud::AudioBodyDecoder;

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
        return loop_->http(std::move(r), std::make_shared<cloud::TtsAudioHandler>(
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
