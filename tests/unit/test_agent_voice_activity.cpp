#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "agent/voice_activity.hpp"

using namespace ringoverbot::agent;

namespace {

// 20 ms at 8 kHz of a 300 Hz tone at `dbfs`.
std::vector<std::int16_t> tone(double dbfs, int frame_index = 0) {
    std::vector<std::int16_t> f(160);
    const double amp = 32767.0 * std::pow(10.0, dbfs / 20.0) * std::sqrt(2.0);
    for (std::size_t i = 0; i < f.size(); ++i) {
        const double t = static_cast<double>(frame_index * 160 + static_cast<int>(i)) / 8000.0;
        f[i] = static_cast<std::int16_t>(amp * std::sin(2 * M_PI * 300 * t));
    }
    return f;
}

}  // namespace

TEST_CASE("agent: VAD level of a known tone") {
    CHECK(EnergyVad::level_dbfs(tone(-20)) == doctest::Approx(-20).epsilon(0.02));
    std::vector<std::int16_t> silence(160, 0);
    CHECK(EnergyVad::level_dbfs(silence) == -120.0);
}

TEST_CASE("agent: VAD separates speech from a noise floor it learns") {
    EnergyVad vad;
    // Steady -45 dBFS background: the floor rises to it (3 dB/s from -60) and it stops being
    // speech after a few seconds.
    for (int i = 0; i < 300; ++i) (void)vad.is_speech(tone(-45, i), 0.02);
    CHECK(vad.noise_floor_dbfs() == doctest::Approx(-45).epsilon(0.05));
    int late = 0;
    for (int i = 300; i < 350; ++i) late += vad.is_speech(tone(-45, i), 0.02) ? 1 : 0;
    CHECK(late == 0);
    CHECK(vad.is_speech(tone(-20), 0.02));
}

TEST_CASE("agent: VAD echo gate ignores the bot's own echo but not the caller") {
    EnergyVad vad;
    for (int i = 0; i < 50; ++i) (void)vad.is_speech(tone(-70, i), 0.02);
    // The bot plays at -10 dBFS; its echo comes back 20 dB down (-30): not speech.
    CHECK_FALSE(vad.is_speech(tone(-30), 0.02, -10.0));
    // Without the bot playing the same level is speech.
    CHECK(vad.is_speech(tone(-30), 0.02, -120.0));
    // A caller talking over the bot, louder than the echo estimate, is speech.
    CHECK(vad.is_speech(tone(-10), 0.02, -10.0));
}

TEST_CASE("agent: turn detector confirms starts and endpoints after the silence") {
    TurnDetector td;  // start 120 ms, silence 500 ms
    int t = 0;
    auto feed = [&](bool speech, bool bot = false) {
        t += 20;
        return td.feed(speech, 20, bot);
    };
    for (int i = 0; i < 5; ++i) CHECK(feed(false) == TurnEvent::none);
    for (int i = 0; i < 5; ++i) CHECK(feed(true) == TurnEvent::none);  // 100 ms
    CHECK(feed(true) == TurnEvent::speech_started);                    // 120 ms
    CHECK(td.turn_start_ms() == 100);
    for (int i = 0; i < 20; ++i) CHECK(feed(true) == TurnEvent::none);
    const auto speech_end = td.last_speech_end_ms();
    for (int i = 0; i < 24; ++i) CHECK(feed(false) == TurnEvent::none);  // 480 ms
    CHECK(feed(false) == TurnEvent::speech_ended);                       // 500 ms
    CHECK(td.last_speech_end_ms() == speech_end);
    CHECK_FALSE(td.in_turn());
}

TEST_CASE("agent: turn detector needs longer speech to barge in, and cuts long turns") {
    TurnConfig cfg;
    cfg.max_turn_ms = 1000;
    TurnDetector td(cfg);
    int started_at = -1;
    for (int i = 0; i < 12; ++i)
        if (td.feed(true, 20, true) == TurnEvent::speech_started) started_at = (i + 1) * 20;
    CHECK(started_at == 200);
    TurnEvent last = TurnEvent::none;
    for (int i = 0; i < 60 && last == TurnEvent::none; ++i) last = td.feed(true, 20, false);
    CHECK(last == TurnEvent::turn_too_long);
}

TEST_CASE("agent: a short click does not start a turn") {
    TurnDetector td;
    for (int i = 0; i < 3; ++i) CHECK(td.feed(true, 20, false) == TurnEvent::none);
    for (int i = 0; i < 10; ++i) CHECK(td.feed(false, 20, false) == TurnEvent::none);
    for (int i = 0; i < 3; ++i) CHECK(td.feed(true, 20, false) == TurnEvent::none);
    CHECK_FALSE(td.in_turn());
}
