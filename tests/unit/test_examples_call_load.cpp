// The load generator's call (examples/call/load_call.hpp) and summary (load_report.hpp): frame
// pacing, the caller's turns, the playout clock that finds audio gaps, and the percentiles.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "call/load_call.hpp"
#include "call/load_report.hpp"

using namespace ringoverbot::callsim;

namespace {

constexpr std::int64_t kMs = 1000;

std::string text_of(std::span<const std::uint8_t> m) {
    return {reinterpret_cast<const char*>(m.data()), m.size()};
}

// Writes every message due at `now`; returns how many binary frames went out.
int drain(LoadCall& call, std::int64_t now, std::vector<std::string>* texts = nullptr,
          std::vector<std::vector<std::uint8_t>>* frames = nullptr) {
    int n = 0;
    for (;;) {
        bool binary = false;
        auto m = call.next(now, binary);
        if (m.empty()) break;
        if (binary) {
            ++n;
            if (frames) frames->emplace_back(m.begin(), m.end());
        } else if (texts) {
            texts->push_back(text_of(m));
        }
        call.popped(now);
    }
    return n;
}

LoadCall open_call(const LoadCallSetup& setup, std::int64_t t0) {
    LoadCall call(42, setup);
    call.connecting(t0);
    call.established(t0 + 10 * kMs);
    return call;
}

}  // namespace

TEST_CASE("examples: load call sends call_start, then one 20 ms frame per 20 ms of wall time") {
    LoadCallSetup setup;
    LoadCall call = open_call(setup, 0);
    std::vector<std::string> texts;
    CHECK(drain(call, 10 * kMs, &texts) == 1);  // the frame due at the open
    REQUIRE(texts.size() == 1);
    CHECK(texts[0].find(R"("event":"call_start","call_id":42,)") != std::string::npos);
    CHECK(texts[0].find(R"("encoding":"L16","sampleRate":8000)") != std::string::npos);
    CHECK_FALSE(call.has_due(29 * kMs));
    CHECK(call.has_due(30 * kMs));
    CHECK(drain(call, 115 * kMs) == 5);  // 30, 50, 70, 90, 110: a late host catches up
    CHECK(call.record().frames_sent == 6);
    CHECK(call.record().max_frame_late_us == 85 * kMs);
}

TEST_CASE("examples: load call ends with call_end after its duration; an early close fails it") {
    LoadCallSetup setup;
    setup.duration_us = 100 * kMs;
    LoadCall call = open_call(setup, 0);
    call.on_bot_audio(200 * kMs, 50 * kMs);
    std::vector<std::string> texts;
    drain(call, 200 * kMs, &texts);
    REQUIRE(texts.size() == 2);
    CHECK(texts[1] == R"({"event":"call_end","reason":"hangup"})");
    CHECK(call.wants_close());
    call.on_closed(1000, "", 210 * kMs);
    CHECK(call.done());
    CHECK_FALSE(call.record().failed);

    LoadCall early = open_call(setup, 0);
    drain(early, 30 * kMs);
    early.on_closed(1011, "server error", 40 * kMs);
    CHECK(early.record().failed);
    CHECK(early.record().failure.find("1011") != std::string::npos);
}

TEST_CASE("examples: load call counts a gap when bot audio arrives after its playout ran dry") {
    LoadCallSetup setup;
    LoadCall call = open_call(setup, 0);
    const std::int64_t t = 500 * kMs;
    CHECK(call.on_bot_audio(200 * kMs, t) == -1);  // plays t .. t+200
    call.on_bot_audio(200 * kMs, t + 150 * kMs);   // ahead: plays t+200 .. t+400
    CHECK(call.record().gaps == 0);
    call.on_bot_audio(200 * kMs, t + 430 * kMs);  // 30 ms of silence heard
    CHECK(call.record().gaps == 1);
    CHECK(call.record().max_gap_us == 30 * kMs);
    // Seconds later: a new utterance (a reprompt), not a gap.
    call.on_bot_audio(200 * kMs, t + 630 * kMs + kGapWindowUs + 1);
    CHECK(call.record().gaps == 1);
    CHECK(call.record().greeting_us == t);
    CHECK(call.record().bot_chunks == 4);
}

TEST_CASE("examples: load call says its phrase after the greeting played and times the reply") {
    std::vector<std::uint8_t> phrase(3 * kFrameBytes, 0x11);
    LoadCallSetup setup;
    setup.talk = phrase;
    setup.pause_us = 100 * kMs;
    setup.talk_every_us = 1000 * kMs;
    setup.reply_timeout_us = 500 * kMs;
    LoadCall call = open_call(setup, 0);     // open at 10 ms
    call.on_bot_audio(200 * kMs, 20 * kMs);  // the greeting plays until 220 ms
    std::vector<std::vector<std::uint8_t>> frames;
    drain(call, 310 * kMs, nullptr, &frames);  // frames at 10..310: silence until 320 (220+100)
    for (const auto& f : frames) CHECK(f == std::vector<std::uint8_t>(kFrameBytes, 0));
    frames.clear();
    drain(call, 370 * kMs, nullptr, &frames);  // 330, 350, 370: the phrase
    REQUIRE(frames.size() == 3);
    for (const auto& f : frames) CHECK(f == std::vector<std::uint8_t>(kFrameBytes, 0x11));
    CHECK(call.record().phrases == 1);
    CHECK(call.record().last_speech_end_us == 370 * kMs);
    CHECK(call.on_bot_audio(200 * kMs, 650 * kMs) == 280 * kMs);  // the reply's first chunk
    CHECK(call.on_bot_audio(200 * kMs, 700 * kMs) == -1);
    CHECK(call.record().replies == 1);
    // The next phrase waits for talk_every (330 + 1000 ms), then goes unanswered: a failure.
    frames.clear();
    drain(call, 1310 * kMs, nullptr, &frames);
    for (const auto& f : frames) CHECK(f[0] == 0);
    drain(call, 1370 * kMs);
    CHECK(call.record().phrases == 2);
    CHECK_FALSE(call.record().failed);
    drain(call, 1900 * kMs);
    CHECK(call.record().failed);
    CHECK(call.record().failure.find("no reply") != std::string::npos);
}

TEST_CASE("examples: load call fails without a greeting, and on a connection error") {
    LoadCallSetup setup;
    setup.greeting_timeout_us = 100 * kMs;
    LoadCall call = open_call(setup, 0);
    drain(call, 90 * kMs);
    CHECK_FALSE(call.record().failed);
    std::vector<std::string> texts;
    drain(call, 130 * kMs, &texts);
    CHECK(call.record().failed);
    CHECK(texts.back().find("call_end") != std::string::npos);

    LoadCall refused(7, setup);
    refused.connecting(0);
    refused.on_connect_error("503", 5 * kMs);
    CHECK(refused.done());
    CHECK(refused.record().failure == "connection failed: 503");
}

TEST_CASE("examples: load summary percentiles are nearest-rank, counts per call") {
    std::vector<std::int64_t> us;
    for (int i = 1; i <= 100; ++i) us.push_back(i * kMs);
    const Percentiles p = percentiles_ms(us);
    CHECK(p.count == 100);
    CHECK(p.p50_ms == doctest::Approx(50.0));
    CHECK(p.p95_ms == doctest::Approx(95.0));
    CHECK(p.p99_ms == doctest::Approx(99.0));
    CHECK(p.max_ms == doctest::Approx(100.0));
    CHECK(percentiles_ms({7 * kMs}).p95_ms == doctest::Approx(7.0));
    CHECK(percentiles_ms({}).count == 0);

    LoadCallSetup setup;
    std::vector<LoadCall> calls;
    calls.push_back(open_call(setup, 0));
    calls.push_back(open_call(setup, 0));
    calls[0].on_bot_audio(100 * kMs, 40 * kMs);
    calls[0].on_bot_audio(100 * kMs, 200 * kMs);  // a 60 ms gap
    calls[1].on_connect_error("refused", 0);
    const LoadSummary s = summarize_load(calls, {});
    CHECK(s.calls == 2);
    CHECK(s.started == 2);
    CHECK(s.greeted == 1);
    CHECK(s.failed == 1);
    CHECK(s.gap_calls == 1);
    CHECK(s.max_gap_ms == doctest::Approx(60.0));
    CHECK(s.greeting.p50_ms == doctest::Approx(40.0));
    REQUIRE(s.failures.size() == 1);
    CHECK(s.failures[0] == "call 1: connection failed: refused");
}
