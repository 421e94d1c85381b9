// ElevenLabs text to speech: POST {base}/text-to-speech/{voice}/stream, key in xi-api-key, audio
// in the format asked for (ulaw_8000 for an 8 kHz line, pcm_16000 or pcm_24000 otherwise, so
// nothing is transcoded here), to the sink as it streams in (tts_audio_handler.hpp).
#include <memory>
#include <string>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/speech_wire.hpp"
#include "providers/cloud/tts_audio_handler.hpp"

namespace ringoverbot::providers {
namespace {

using cloud::AudioBodyDecoder;

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
        return loop_->http(std::move(r), std::make_shared<cloud::TtsAudioHandler>(
                                             "elevenlabs", *decoder, std::move(sink)));
    }

  private:
    ElevenLabsTtsOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
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

}  // namespace ringoverbot::providers
