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

TEST_CASE("providers: TurnAudio with speech-start hints holds a preroll ring between turns") {
    // 1 kHz: the ring is the preroll plus the onset's reach, whatever the call's length.
    constexpr std::size_t kRing = 300 + TurnAudio::kOnsetReachMs;
    TurnAudio audio(1000, 10000, 300, true);
    CHECK(audio.held_bytes() == kRing * 2);
    audio.push(ramp(0, 2000));
    audio.push(ramp(2000, 3000));
    CHECK(audio.held_bytes() == kRing * 2);  // silence costs nothing more

    // The turn's buffer opens at the start with the preroll before the onset...
    audio.speech_started(200);
    audio.push(ramp(5000, 1000));
    CHECK(audio.held_bytes() > kRing * 2);
    const auto turn = audio.cut();
    REQUIRE(turn.size() == 500 + 1000);
    CHECK(turn.front() == 5000 - 200 - 300);
    CHECK(turn.back() == 5999);
    // ...and goes with the cut.
    CHECK(audio.held_bytes() == kRing * 2);

    // An onset beyond the ring starts at its oldest sample; none reaches before the last cut.
    audio.push(ramp(6000, 2000));
    audio.speech_started(5000);
    CHECK(audio.cut().front() == 8000 - static_cast<int>(kRing));
    audio.push(ramp(8000, 100));
    audio.speech_started(400);
    CHECK(audio.cut().front() == 8000);

    // Without a start a hinted turn is what the ring holds since the last cut.
    audio.push(ramp(8100, 50));
    const auto unhinted = audio.cut();
    REQUIRE(unhinted.size() == 50);
    CHECK(unhinted.front() == 8100);
}

TEST_CASE("providers: TurnAudio hands a live turn out in pieces and keeps a long turn's newest audio") {
    TurnAudio audio(1000, 2000, 300, true);
    audio.push(ramp(0, 1000));
    audio.speech_started();
    CHECK(audio.untaken() == 300);
    std::vector<std::int16_t> taken;
    audio.take(taken);
    REQUIRE(taken.size() == 300);
    CHECK(taken.front() == 700);
    audio.push(ramp(1000, 80));
    CHECK(audio.untaken() == 80);
    taken.clear();
    audio.take(taken);
    CHECK(taken.front() == 1000);
    CHECK(audio.cut().empty());

    // A turn past max_turn_ms keeps its newest 2000 ms.
    audio.push(ramp(2000, 100));
    audio.speech_started();
    for (int at = 2100; at < 6100; at += 20) audio.push(ramp(at, 20));
    const auto turn = audio.cut();
    REQUIRE(turn.size() == 2000);
    CHECK(turn.front() == 4100);
    CHECK(turn.back() == 6099);
}
