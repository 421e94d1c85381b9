// AudioEnvelope: one peak per bucket, placed by time, cut at a break, bounded by coarsening.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "ringoverbot/timeline.hpp"

using ringoverbot::agent::AudioEnvelope;

namespace {

std::vector<std::int16_t> tone(std::size_t n, std::int16_t peak) {
    std::vector<std::int16_t> s(n, 0);
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<std::int16_t>(i % 2 ? peak : -peak / 2);
    return s;
}

}  // namespace

TEST_CASE("audio envelope: one peak per 20 ms bucket, placed by the time of each sample") {
    AudioEnvelope env;
    CHECK(env.empty());
    CHECK(env.origin_us() == -1);
    // 40 ms at 8 kHz: two buckets, then a gap of 60 ms, then a louder 20 ms.
    env.add(tone(320, 1000), 8000, 5'000'000);
    env.add(tone(160, 8000), 8000, 5'100'000);
    CHECK(env.origin_us() == 5'000'000);
    CHECK(env.bucket_us() == 20'000);
    REQUIRE(env.peaks().size() == 6);
    CHECK(env.peaks()[0] == 1000);
    CHECK(env.peaks()[1] == 1000);
    CHECK(env.peaks()[2] == 0);
    CHECK(env.peaks()[4] == 0);
    CHECK(env.peaks()[5] == 8000);
    // -32768 has a magnitude too.
    env.add(std::vector<std::int16_t>{-32768}, 8000, 5'000'000);
    CHECK(env.peaks()[0] == 32768);
    // Samples before the origin are dropped, the rest of the frame counts.
    std::vector<std::int16_t> early(160, 0);
    early.back() = 300;
    AudioEnvelope late;
    late.add(std::vector<std::int16_t>{1}, 8000, 1'000'000);
    late.add(early, 8000, 1'000'000 - 19'000);
    CHECK(late.peaks()[0] == 300);
}

TEST_CASE("audio envelope: a cut forgets the audio never played and keeps the bucket in play") {
    AudioEnvelope env;
    env.add(tone(8000, 2000), 8000, 0);  // 1 s queued ahead
    REQUIRE(env.peaks().size() == 50);
    env.cut(310'000);  // the break: bucket 15 (300..320 ms) was partly heard
    CHECK(env.peaks().size() == 16);
    CHECK(env.peaks()[15] == 2000);
    // The next reply lands after the cut on an empty stretch.
    env.add(tone(160, 500), 8000, 500'000);
    REQUIRE(env.peaks().size() == 26);
    CHECK(env.peaks()[20] == 0);
    CHECK(env.peaks()[25] == 500);
    env.cut(-5);
    CHECK(env.empty());
    env.cut(1'000'000);  // nothing past the end: no change
    CHECK(env.empty());
}

TEST_CASE("audio envelope: a long call halves its resolution instead of growing") {
    AudioEnvelope env(20, 64);  // 64 buckets of 20 ms: 1.28 s before the first coarsening
    const auto frame = tone(160, 100);
    for (int i = 0; i < 500; ++i) {  // 10 s of 20 ms frames
        auto f = frame;
        if (i == 250) f[3] = 30000;  // one loud frame at 5.0 s
        env.add(f, 8000, std::int64_t{i} * 20'000);
    }
    CHECK(env.peaks().size() <= 64);
    CHECK(env.bucket_us() == 160'000);  // 20 ms doubled three times
    // The whole call is still covered, and the loud frame is in the bucket holding 5.0 s.
    CHECK(env.peaks().size() * env.bucket_us() >= 10'000'000);
    const std::size_t loud = 5'000'000 / 160'000;
    CHECK(env.peaks()[loud] == 30000);
    for (std::size_t i = 0; i < env.peaks().size(); ++i)
        if (i != loud) CHECK(env.peaks()[i] == 100);
}

TEST_CASE("audio envelope: buckets are allocated as the lane reaches them, never past capacity") {
    AudioEnvelope env;             // 2048 buckets of 20 ms
    CHECK(env.held_bytes() == 0);  // a lane that never had audio holds nothing
    const auto frame = tone(160, 100);
    for (int i = 0; i < 150; ++i) env.add(frame, 8000, std::int64_t{i} * 20'000);  // 3 s
    CHECK(env.peaks().size() == 150);
    CHECK(env.held_bytes() < 2048 * 2 / 4);  // a short greeting: a step, not the whole lane
    for (int i = 150; i < 5000; ++i) env.add(frame, 8000, std::int64_t{i} * 20'000);  // 100 s
    CHECK(env.held_bytes() == 2048 * 2);
    CHECK(env.bucket_us() == 80'000);
    for (const auto p : env.peaks()) CHECK(p == 100);
}
