#include <doctest/doctest.h>

#include "agent/pacer.hpp"
#include "agent/playout_clock.hpp"

using namespace ringoverbot::agent;

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
