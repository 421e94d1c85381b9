// TurnAudio: the turn's audio for per-turn STT providers starts a preroll before the onset the
// engine reports, wherever the confirmation came.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "providers/turn_audio.hpp"

using ringoverbot::providers::TurnAudio;

namespace {
// `ms` of samples at 1 kHz (one sample a millisecond) numbered from `first`.
std::vector<std::int16_t> ramp(int first, int ms) {
    std::vector<std::int16_t> v(static_cast<std::size_t>(ms));
    for (int i = 0; i < ms; ++i)
        v[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(first + i);
    return v;
}
}  // namespace

TEST_CASE("providers: TurnAudio starts the turn a preroll before the reported onset") {
    TurnAudio audio(1000, 10000, 300);
    audio.push(ramp(0, 2000));
    audio.speech_started(600);  // confirmed now, began 600 ms ago
    audio.push(ramp(2000, 500));
    const auto turn = audio.cut();
    REQUIRE_FALSE(turn.empty());
    CHECK(turn.front() == 2000 - 600 - 300);
    CHECK(turn.back() == 2499);

    // Without an onset: the preroll before the confirmation; a second start does not move it.
    audio.push(ramp(2500, 1000));
    audio.speech_started();
    audio.speech_started(900);
    audio.push(ramp(3500, 100));
    const auto next = audio.cut();
    REQUIRE_FALSE(next.empty());
    CHECK(next.front() == 3500 - 300);

    // An onset older than the last cut does not reach into the previous turn.
    audio.push(ramp(3600, 100));
    audio.speech_started(5000);
    CHECK(audio.cut().front() == 3600);
}
