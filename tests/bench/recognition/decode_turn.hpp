// One caller turn through a real STT provider, exactly as the call engine feeds it: every
// 20 ms frame of the line at the line's rate, speech_started() at the onset, end_of_turn()
// after the trailing audio, then the final transcript is awaited.
#pragma once

#include <string>

#include "line_audio.hpp"
#include "ringoverbot/providers.hpp"

namespace recognition {

struct Heard {
    std::string text;
    double confidence = ringoverbot::providers::kUnknownConfidence;
    std::string error;  // non-empty when the provider failed or timed out
};

Heard decode_turn(ringoverbot::providers::SttProvider& stt,
                  const ringoverbot::providers::SttOptions& options, const Turn& turn);

}  // namespace recognition
