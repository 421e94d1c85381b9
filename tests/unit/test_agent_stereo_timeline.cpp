// The recording's timeline: the caller on the left in arrival order, the bot on the right where
// the playout clock puts it, a break as a cut, and bounded memory.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "agent/stereo_timeline.hpp"

using ringoverbot::agent::StereoTimeline;

namespace {

constexpr std::uint32_t kRate = 8000;
constexpr std::int64_t kStart = 5'000'000;  // the host clock does not start at 0

std::vector<std::int16_t> filled(std::size_t n, std::int16_t v) {
    return std::vector<std::int16_t>(n, v);
}

std::int64_t at_ms(int ms) {
    return kStart + std::int64_t{ms} * 1000;
}

// Frame `i` of an interleaved buffer: {left, right}.
std::pair<int, int> frame(const std::vector<std::int16_t>& st, std::size_t i) {
    return {st[2 * i], st[2 * i + 1]};
}

}  // namespace

TEST_CASE("stereo timeline: caller left, bot right at its playout time, held back, padded") {
    StereoTimeline tl(kRate, kStart, 3000, 300);
    std::vector<std::int16_t> out;
    // 1 s of caller audio, 20 ms frames, each received at its end.
    for (int ms = 20; ms <= 1000; ms += 20) {
        tl.caller(filled(160, 100), at_ms(ms));
        if (ms == 200) tl.bot(filled(800, 7), at_ms(400));  // sent at 200 ms, plays 400..500
        tl.take_ready(at_ms(ms), out);
    }
    // Handed back only what the clock passed by more than the hold: 700 ms.
    CHECK(out.size() == 2 * 5600);
    CHECK(frame(out, 0) == std::pair{100, 0});
    CHECK(frame(out, 3199) == std::pair{100, 0});  // 399.9 ms
    CHECK(frame(out, 3200) == std::pair{100, 7});  // 400 ms: the bot starts
    CHECK(frame(out, 3999) == std::pair{100, 7});  // 499.9 ms
    CHECK(frame(out, 4000) == std::pair{100, 0});  // 500 ms: done
    // The call ends at 1.5 s: the caller's last 500 ms were silent (the stream stopped).
    tl.take_rest(at_ms(1500), out);
    CHECK(out.size() == 2 * 12000);
    CHECK(frame(out, 7999) == std::pair{100, 0});
    CHECK(frame(out, 8000) == std::pair{0, 0});
    CHECK(tl.frames_out() == 12000);
    CHECK(tl.dropped_samples() == 0);
}

TEST_CASE("stereo timeline: a break cuts the bot where the caller stopped hearing it") {
    StereoTimeline tl(kRate, kStart);
    std::vector<std::int16_t> out;
    tl.bot(filled(8000, 9), at_ms(0));  // one second of bot speech, queued at once
    for (int ms = 20; ms <= 400; ms += 20) tl.caller(filled(160, 1), at_ms(ms));
    tl.cut(at_ms(400));                  // barge-in at 400 ms
    tl.bot(filled(800, 5), at_ms(600));  // a later reply still plays
    tl.take_rest(at_ms(1000), out);
    REQUIRE(out.size() == 2 * 8000);
    CHECK(frame(out, 3199).second == 9);
    CHECK(frame(out, 3200).second == 0);  // the cut
    CHECK(frame(out, 4799).second == 0);
    CHECK(frame(out, 4800).second == 5);
    CHECK(frame(out, 5599).second == 5);
    CHECK(frame(out, 5600).second == 0);
    // The bot queued past the end of the call never played.
    StereoTimeline late(kRate, kStart);
    std::vector<std::int16_t> out2;
    late.bot(filled(8000, 9), at_ms(500));
    late.take_rest(at_ms(1000), out2);
    REQUIRE(out2.size() == 2 * 8000);
    CHECK(frame(out2, 7999).second == 9);
}

TEST_CASE("stereo timeline: a gap in the caller's stream stays silent, late frames keep order") {
    StereoTimeline tl(kRate, kStart, 3000, 300);
    std::vector<std::int16_t> out;
    tl.caller(filled(160, 1), at_ms(20));
    tl.caller(filled(160, 2), at_ms(45));    // 5 ms late (jitter): follows the first
    tl.caller(filled(160, 3), at_ms(1020));  // after a 960 ms hole: placed by the clock
    tl.take_rest(at_ms(1020), out);
    REQUIRE(out.size() == 2 * 8160);
    CHECK(frame(out, 0).first == 1);
    CHECK(frame(out, 160).first == 2);
    CHECK(frame(out, 320).first == 0);
    CHECK(frame(out, 7999).first == 0);
    CHECK(frame(out, 8000).first == 3);
    CHECK(frame(out, 8159).first == 3);
}

TEST_CASE("stereo timeline: memory is the ring, the bot past it is dropped and counted") {
    StereoTimeline tl(kRate, kStart, 1000, 300);
    std::vector<std::int16_t> out;
    // The bot 5 s ahead of the caller: far past a 1 s ring.
    tl.bot(filled(800, 9), at_ms(5000));
    CHECK(tl.dropped_samples() == 800);
    // Caller audio arriving faster than the clock spills to the next take, never lost.
    for (int i = 0; i < 100; ++i) tl.caller(filled(160, 4), at_ms(20));
    tl.take_ready(at_ms(20), out);
    CHECK(out.size() >= 2 * (16000 - 8000));
    tl.take_rest(at_ms(20), out);
    CHECK(out.size() == 2 * 16000);
    CHECK(frame(out, 15999).first == 4);
    CHECK(tl.dropped_samples() == 800);
}
