#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ringoverbot/audio.hpp"

using namespace ringoverbot::audio;

TEST_CASE("audio: pcm s16 <-> float") {
    const std::int16_t in[5] = {0, 16384, -16384, 32767, -32768};
    float f[5];
    CHECK(s16_to_float(in, f) == 5);
    CHECK(f[0] == 0.0f);
    CHECK(f[1] == 0.5f);
    CHECK(f[2] == -0.5f);
    CHECK(f[4] == -1.0f);
    std::int16_t back[5];
    CHECK(float_to_s16(f, back) == 5);
    for (int i = 0; i < 5; ++i) CHECK(back[i] == in[i]);
    const float wild[5] = {2.0f, -2.0f, std::numeric_limits<float>::quiet_NaN(), 0.25f / 32768.0f,
                           0.75f / 32768.0f};
    CHECK(float_to_s16(wild, back) == 5);
    CHECK(back[0] == 32767);
    CHECK(back[1] == -32768);
    CHECK(back[2] == 0);
    CHECK(back[3] == 0);
    CHECK(back[4] == 1);
}

TEST_CASE("audio: pcm stereo/mono conversions") {
    const std::int16_t st[8] = {100, 200, -32768, -32768, 32767, 32767, 1, -2};
    std::int16_t mono[4];
    CHECK(stereo_to_mono(st, mono) == 4);
    CHECK(mono[0] == 150);
    CHECK(mono[1] == -32768);
    CHECK(mono[2] == 32767);
    CHECK(mono[3] == -1);  // floor(-0.5)
    std::int16_t right[4];
    CHECK(extract_channel(st, 2, 1, right) == 4);
    CHECK(right[0] == 200);
    CHECK(right[3] == -2);
    CHECK(extract_channel(st, 2, 2, right) == 0);  // no such channel
    CHECK(extract_channel(st, 0, 0, right) == 0);
    std::int16_t two[8];
    CHECK(mono_to_stereo(std::span<const std::int16_t>(mono, 4), two) == 8);
    CHECK(two[0] == 150);
    CHECK(two[1] == 150);
    CHECK(two[7] == -1);
    std::int16_t small[3];
    CHECK(mono_to_stereo(std::span<const std::int16_t>(mono, 4), small) == 2);  // one frame
}

TEST_CASE("audio: pcm s16le bytes are little-endian on any host") {
    const std::uint8_t bytes[5] = {0x34, 0x12, 0xFF, 0x80, 0x77};
    std::int16_t s[3] = {9, 9, 9};
    CHECK(s16le_to_samples(bytes, s) == 2);  // the odd trailing byte is ignored
    CHECK(s[0] == 0x1234);
    CHECK(s[1] == -32513);  // 0x80FF
    CHECK(s[2] == 9);
    std::uint8_t out[4];
    CHECK(samples_to_s16le(std::span<const std::int16_t>(s, 2), out) == 2);
    CHECK(out[0] == 0x34);
    CHECK(out[1] == 0x12);
    CHECK(out[2] == 0xFF);
    CHECK(out[3] == 0x80);
}

TEST_CASE("audio: pcm gain rounds and saturates") {
    std::vector<std::int16_t> s = {1000, -1000, 20000, -20000, 3};
    apply_gain(s, 2.0f);
    CHECK(s == std::vector<std::int16_t>{2000, -2000, 32767, -32768, 6});
    apply_gain(s, 0.5f);
    CHECK(s == std::vector<std::int16_t>{1000, -1000, 16384, -16384, 3});
    CHECK(db_to_gain(0.0f) == 1.0f);
    CHECK(std::fabs(db_to_gain(-20.0f) - 0.1f) < 1e-6f);
    CHECK(std::fabs(db_to_gain(6.0206f) - 2.0f) < 1e-4f);
}
