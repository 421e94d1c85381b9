#include "providers/cloud/tts_audio_handler.hpp"

namespace ringoverbot::providers::cloud {

void TtsAudioHandler::on_body(std::span<const std::uint8_t> data) {
    if (over_) return;
    decoder_.feed(data, samples_);
    if (!samples_.empty()) sink_->on_audio(samples_, decoder_.sample_rate_hz());
}

void TtsAudioHandler::on_complete() {
    if (over_) return;
    over_ = true;
    sink_->on_done();
}

void TtsAudioHandler::on_failure(const net::Failure& failure) {
    if (over_) return;
    over_ = true;
    sink_->on_error(Error{failure.code(), who_ + ": " + failure.message});
}

}  // namespace ringoverbot::providers::cloud
