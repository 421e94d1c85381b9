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
