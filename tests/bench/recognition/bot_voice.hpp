// The bot's own voice for the "over the bot" condition: flite's kal voice (8 kHz, the phone
// line's rate) reading the demo bakery's long answer, the way a caller hears the bot when
// they barge in.
#pragma once

#include <cstdint>
#include <vector>

#include "ringoverbot/error.hpp"

namespace recognition {

ringoverbot::Result<std::vector<std::int16_t>> synthesize_bot_voice_8k();

}  // namespace recognition
