#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "agent/reply_audio.hpp"

using namespace ringoverbot::agent;

TEST_CASE("agent: reply audio queue keeps positions, compacts, and bounds what waits") {
    ReplyAudio q(1000);
    std::vector<std::int16_t> a(600, 1), b(600, 2);
    CHECK(q.append(a) == 600);
    CHECK(q.append(b) == 400);  // the limit: the rest is dropped
    CHECK(q.full());
    CHECK(q.synthesized() == 1000);
    CHECK(q.peek(3)[0] == 1);
    q.consume(700);
    CHECK(q.sent() == 700);
    CHECK(q.queued_samples() == 300);
    CHECK(q.peek(1)[0] == 2);
    CHECK(q.append(b) == 600);
    CHECK(q.synthesized() == 1600);
    q.consume(900);
    CHECK(q.queued_samples() == 0);
    q.reset();
    CHECK(q.synthesized() == 0);
    CHECK(q.sent() == 0);
}

TEST_CASE("agent: reply audio gives its buffer back once the pacer has taken it all") {
    ReplyAudio q(100000);
    const std::vector<std::int16_t> greeting(32000, 7);  // 4 s at 8 kHz
    q.append(greeting);
    CHECK(q.held_bytes() >= greeting.size() * 2);
    q.consume(30000);
    CHECK(q.held_bytes() > 0);  // still playing
    q.consume(2000);
    CHECK(q.held_bytes() == 0);  // a silent call after its greeting holds nothing
    CHECK(q.sent() == 32000);
    q.append(greeting);
    q.reset();
    CHECK(q.held_bytes() == 0);
}

TEST_CASE("agent: reply audio keeps the tail it sent, to play it again") {
    ReplyAudio q(100000);
    q.set_retain(500);
    std::vector<std::int16_t> pcm(3000);
    for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>(i);
    q.append(pcm);
    for (int i = 0; i < 5; ++i) q.consume(400);  // 2000 sent, in chunks
    CHECK(q.sent() == 2000);
    CHECK(q.oldest_kept() <= 1500);
    REQUIRE(q.rewind_to(1600));
    CHECK(q.sent() == 1600);
    CHECK(q.queued_samples() == 1400);
    CHECK(q.peek(1)[0] == 1600);     // the very sample at that position
    CHECK_FALSE(q.rewind_to(1700));  // not sent
    CHECK_FALSE(q.rewind_to(q.oldest_kept() > 0 ? q.oldest_kept() - 1 : 5000));
    // Without retention nothing sent is kept.
    ReplyAudio none(100000);
    none.append(pcm);
    none.consume(3000);
    CHECK(none.oldest_kept() == 3000);
    CHECK_FALSE(none.rewind_to(2999));
}
