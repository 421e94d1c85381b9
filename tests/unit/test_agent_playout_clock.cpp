#include <doctest/doctest.h>

#include "agent/playout_clock.hpp"

using namespace ringoverbot::agent;

TEST_CASE("agent: playout clock tracks what the caller has heard") {
    PlayoutClock clock(8000);
    clock.on_sent(1600, 0);      // 200 ms
    clock.on_sent(1600, 10000);  // queued behind: plays 200..400 ms
    CHECK(clock.sent_samples() == 3200);
    CHECK(clock.heard_samples(0) == 0);
    CHECK(clock.heard_samples(100000) == 800);
    CHECK(clock.heard_samples(300000) == 2400);
    CHECK(clock.queued_us(300000) == 100000);
    CHECK(clock.heard_samples(1000000) == 3200);
    CHECK_FALSE(clock.playing(400000));
    // After a gap, new audio starts at the time it is sent.
    clock.on_sent(800, 2000000);
    CHECK(clock.playout_end_us() == 2100000);
}

TEST_CASE("agent: break drops what is queued") {
    PlayoutClock clock(16000);
    clock.on_sent(16000, 0);  // one second
    clock.on_break(250000);
    CHECK(clock.sent_samples() == 4000);
    CHECK(clock.heard_samples(900000) == 4000);
    CHECK_FALSE(clock.playing(250000));
}

TEST_CASE("agent: spoken text keeps only the words heard") {
    SpokenText text;
    text.add("We are open from eight to six.", 8000);
    text.add("Monday to Saturday.", 8000);
    CHECK(text.heard(0) == "");
    CHECK(text.heard(8000) == "We are open from eight to six.");
    CHECK(text.heard(16000) == "We are open from eight to six. Monday to Saturday.");
    // Half of the first sentence ("We are open fro|m..."): whole words only.
    CHECK(text.heard(4000) == "We are open");
    CHECK(text.heard(8000 + 4500) == "We are open from eight to six. Monday to");
}

TEST_CASE("agent: pacer keeps at most a second ahead of playout") {
    PlayoutClock clock(8000);
    Pacer pacer;  // 200 ms chunks, 1000 ms lead
    std::int64_t now = 0;
    int sent = 0;
    while (pacer.may_send(clock, now)) {
        clock.on_sent(pacer.chunk_samples(8000), now);
        ++sent;
    }
    CHECK(sent == 5);
    CHECK(clock.queued_us(now) == 1000000);
    const auto next = pacer.next_send_us(clock, now);
    CHECK(next == 200000);
    CHECK(pacer.may_send(clock, next));
    CHECK_FALSE(pacer.may_send(clock, next - 1));
}
