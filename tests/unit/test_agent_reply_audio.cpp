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

TEST_CASE("agent: reply audio reads shared samples in place, in order with copied ones") {
    auto cached = std::make_shared<const std::vector<std::int16_t>>(
        std::vector<std::int16_t>(4000, 5));  // a cached phrase
    const std::span<const std::int16_t> all(*cached);
    ReplyAudio q(100000);
    // Adjacent chunks of one owner make one segment; nothing is copied.
    CHECK(q.append_shared(cached, all.first(1000)) == 1000);
    CHECK(q.append_shared(cached, all.subspan(1000)) == 3000);
    CHECK(q.held_bytes() < 200);  // the segment list only, not 8000 bytes of audio
    CHECK(q.peek(160).data() == all.data());
    const std::vector<std::int16_t> tail(300, 9);
    CHECK(q.append(tail) == 300);  // a streamed sentence after the cached one
    CHECK(q.synthesized() == 4300);
    q.consume(3900);
    CHECK(q.peek(100).data() == all.data() + 3900);
    // Across the boundary: joined, in order.
    const auto joined = q.peek(160);
    REQUIRE(joined.size() == 160);
    CHECK(joined[99] == 5);
    CHECK(joined[100] == 9);
    q.consume(160);
    CHECK(q.peek(1)[0] == 9);
    q.consume(240);
    CHECK(q.queued_samples() == 0);
    CHECK(q.held_bytes() == 0);
    CHECK(q.sent() == 4300);
    // The queue limit holds for shared samples too.
    ReplyAudio small(1000);
    CHECK(small.append_shared(cached, all) == 1000);
    CHECK(small.full());
    CHECK(small.append(tail) == 0);
}

TEST_CASE("agent: reply audio replays its retained tail across shared and copied segments") {
    auto cached =
        std::make_shared<const std::vector<std::int16_t>>(std::vector<std::int16_t>(1000, 5));
    ReplyAudio q(100000);
    q.set_retain(400);
    q.append_shared(cached, std::span<const std::int16_t>(*cached));
    const std::vector<std::int16_t> tail(1000, 9);
    q.append(tail);
    q.consume(900);
    q.consume(300);  // 1200 sent: into the copied segment
    CHECK(q.oldest_kept() <= 800);
    REQUIRE(q.rewind_to(900));  // back into the shared segment
    CHECK(q.queued_samples() == 1100);
    const auto again = q.peek(200);
    REQUIRE(again.size() == 200);
    CHECK(again[99] == 5);
    CHECK(again[100] == 9);
    q.consume(1100);
    CHECK(q.sent() == 2000);
    CHECK(q.held_bytes() > 0);  // the tail stays while the reply lasts
    q.reset();
    CHECK(q.held_bytes() == 0);
}
