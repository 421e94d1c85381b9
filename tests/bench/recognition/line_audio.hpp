// What the line carries for one caller turn under one test condition: the recording at the
// line's rate (the library's resampler), ~300 ms of background before it and ~500 ms after,
// optional white noise at a fixed SNR or the bot's own voice under it, and optional G.711
// u-law (the library's codec, encoded and decoded as the line does).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"

namespace recognition {

struct Condition {
    std::string name;
    std::uint32_t rate_hz = 8000;
    ringoverbot::providers::LineEncoding encoding = ringoverbot::providers::LineEncoding::l16;
    double noise_snr_db = 0;  // 0: no noise
    double bot_level_db = 0;  // 0: no bot voice; else the bot's level relative to the caller
};

// The seven conditions: 8 kHz L16, 8 kHz u-law, 16 kHz; each with noise at 15 dB SNR; and
// 8 kHz L16 over the bot's voice at -12 dB.
std::vector<Condition> all_conditions();

struct Turn {
    std::vector<std::int16_t> samples;  // at the condition's rate
    std::size_t onset = 0;              // where the recording starts (the speech start)
    // With the bot's voice: what the bot played over the turn (its reference, sample for
    // sample under `samples`), the ~2 s it played before, and the gain it reached the line at.
    std::vector<std::int16_t> bot_played, bot_before;
    double bot_gain = 0;
};

inline constexpr std::uint32_t kLeadMs = 300;
inline constexpr std::uint32_t kTrailMs = 500;

// RMS of the active part of a recording (20 ms frames within 30 dB of the loudest); 0 for
// digital silence.
double active_rms(std::span<const std::int16_t> samples, std::uint32_t rate_hz);

// `speech_rms` is the level the noise or the bot is set against (for non-speech recordings,
// the corpus's median speech level); `seed` makes the noise and the bot's offset repeatable.
// `bot` is the bot's voice at 8 kHz (looped as needed).
ringoverbot::Result<Turn> make_turn(std::span<const std::int16_t> recording,
                                    std::uint32_t recording_rate_hz, const Condition& condition,
                                    double speech_rms, std::span<const std::int16_t> bot,
                                    std::uint64_t seed);

}  // namespace recognition
