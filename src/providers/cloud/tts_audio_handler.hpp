// The HTTP handler the TTS providers read their answer with: the body streams (chunked) raw
// audio, and every chunk's samples go to the sink as they arrive, an odd byte waiting for its
// partner. After the end or the first failure, nothing more reaches the sink.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/speech_wire.hpp"

namespace ringoverbot::providers::cloud {

class TtsAudioHandler final : public net::HttpHandler {
  public:
    // `who` names the provider in the sink's errors.
    TtsAudioHandler(std::string who, AudioBodyDecoder decoder, std::shared_ptr<TtsSink> sink)
        : who_(std::move(who)), decoder_(decoder), sink_(std::move(sink)) {}

    void on_body(std::span<const std::uint8_t> data) override;
    void on_complete() override;
    void on_failure(const net::Failure& failure) override;

  private:
    std::string who_;
    AudioBodyDecoder decoder_;
    std::shared_ptr<TtsSink> sink_;
    std::vector<std::int16_t> samples_;
    bool over_ = false;
};

}  // namespace ringoverbot::providers::cloud
