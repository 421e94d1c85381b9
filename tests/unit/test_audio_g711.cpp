#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "test_audio_util.hpp"

using namespace ringoverbot::audio;
using audio_test::read_bytes;
using audio_test::read_s16;

TEST_CASE("audio: g711 known values from the G.711 tables") {
    CHECK(ulaw_encode(std::int16_t{0}) == 0xFF);
    CHECK(ulaw_encode(std::int16_t{-1}) == 0x7E);  // Sun: -1 >> 2 = -1, magnitude 1
    CHECK(ulaw_encode(std::int16_t{32767}) == 0x80);
    CHECK(ulaw_encode(std::int16_t{-32768}) == 0x00);
    CHECK(alaw_encode(std::int16_t{0}) == 0xD5);
    CHECK(alaw_encode(std::int16_t{-1}) == 0x55);
    CHECK(alaw_encode(std::int16_t{32767}) == 0xAA);
    CHECK(alaw_encode(std::int16_t{-32768}) == 0x2A);
    CHECK(ulaw_decode(std::uint8_t{0xFF}) == 0);
    CHECK(ulaw_decode(std::uint8_t{0x7F}) == 0);
    CHECK(ulaw_decode(std::uint8_t{0x00}) == -32124);
    CHECK(ulaw_decode(std::uint8_t{0x80}) == 32124);
    CHECK(ulaw_decode(std::uint8_t{0xFE}) == 8);
    CHECK(alaw_decode(std::uint8_t{0xD5}) == 8);
    CHECK(alaw_decode(std::uint8_t{0x55}) == -8);
    CHECK(alaw_decode(std::uint8_t{0xAA}) == 32256);
    CHECK(alaw_decode(std::uint8_t{0x2A}) == -32256);
    CHECK(alaw_decode(std::uint8_t{0x00}) == -5504);
}

TEST_CASE("audio: g711 decode then encode gives back every code") {
    for (int b = 0; b < 256; ++b) {
        const auto code = static_cast<std::uint8_t>(b);
        if (code == 0x7F) {
            CHECK(ulaw_encode(ulaw_decode(code)) == 0xFF);  // both zeros encode as +0
        } else {
            CHECK(ulaw_encode(ulaw_decode(code)) == code);
        }
        CHECK(alaw_encode(alaw_decode(code)) == code);
    }
}

TEST_CASE("audio: g711 encoding is monotonic and the decode error stays within a step") {
    int prev_u = 1 << 20;
    for (int s = -32768; s <= 32767; ++s) {
        const auto v = static_cast<std::int16_t>(s);
        // Decoded value never decreases as the input grows.
        const int du = ulaw_decode(ulaw_encode(v));
        const int da = alaw_decode(alaw_encode(v));
        if (s > -32768) CHECK_MESSAGE(du >= prev_u, s);
        prev_u = du;
        // Quantisation error is bounded by the largest step (1024 for mu-law, 1024 for A-law)
        // plus clipping at the ends (mu-law's max is 32124).
        CHECK(std::abs(du - s) <= (std::abs(s) > 32124 ? 1024 + 644 : 1024));
        CHECK(std::abs(da - s) <= 1024);
    }
}

TEST_CASE("audio: g711 nearest rounding matches sox byte for byte") {
    // Position of a code's decoded value among all distinct decoded values of its law.
    auto rank = [](std::int16_t (*decode)(std::uint8_t), std::uint8_t code) {
        std::vector<int> levels;
        for (int b = 0; b < 256; ++b) levels.push_back(decode(static_cast<std::uint8_t>(b)));
        std::sort(levels.begin(), levels.end());
        levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
        return std::lower_bound(levels.begin(), levels.end(), decode(code)) - levels.begin();
    };
    for (const std::string name : {"sweep", "ramp16"}) {
        CAPTURE(name);
        const auto src = read_s16(name + "_s16.raw");
        const auto sox_u = read_bytes(name + "_ulaw.raw");
        const auto sox_a = read_bytes(name + "_alaw.raw");
        REQUIRE(src.size() > 1000);
        REQUIRE(sox_u.size() == src.size());
        REQUIRE(sox_a.size() == src.size());
        std::vector<std::uint8_t> u(src.size());
        std::vector<std::uint8_t> a(src.size());
        CHECK(ulaw_encode(src, u, G711Rounding::nearest) == src.size());
        CHECK(alaw_encode(src, a, G711Rounding::nearest) == src.size());
        CHECK(u == sox_u);
        CHECK(a == sox_a);

        // The default (Sun/audioop truncation) differs from SoX only where rounding moves the
        // sample across a decision level, and then by exactly one step.
        CHECK(ulaw_encode(src, u) == src.size());
        CHECK(alaw_encode(src, a) == src.size());
        std::size_t ulaw_diff = 0;
        std::size_t alaw_diff = 0;
        for (std::size_t i = 0; i < src.size(); ++i) {
            if (u[i] != sox_u[i]) {
                ++ulaw_diff;
                CHECK(std::abs(rank(ulaw_decode, u[i]) - rank(ulaw_decode, sox_u[i])) == 1);
                CHECK((src[i] & 3) >= 2);  // round-half-up changed the 14-bit value
            }
            if (a[i] != sox_a[i]) {
                ++alaw_diff;
                CHECK(std::abs(rank(alaw_decode, a[i]) - rank(alaw_decode, sox_a[i])) == 1);
                CHECK((src[i] & 7) >= 4);
            }
        }
        INFO(name << ": truncate vs SoX: " << ulaw_diff << " mu-law and " << alaw_diff
                  << " A-law codes differ of " << src.size());
        CHECK(ulaw_diff < src.size() / 20);
        CHECK(alaw_diff < src.size() / 10);
    }
}

TEST_CASE("audio: g711 decoding matches sox for every code") {
    const auto ramp = read_bytes("ramp_u8.raw");
    REQUIRE(ramp.size() == 256);
    const auto sox_ulaw = read_s16("ramp_ulaw_s16.raw");
    const auto sox_alaw = read_s16("ramp_alaw_s16.raw");
    std::vector<std::int16_t> out(256);
    CHECK(ulaw_decode(ramp, out) == 256);
    CHECK(out == sox_ulaw);
    CHECK(alaw_decode(ramp, out) == 256);
    CHECK(out == sox_alaw);
}

TEST_CASE("audio: g711 truncation follows Sun's g711.c segment search") {
    // An independent, literal transcription of Sun's linear2ulaw/linear2alaw (16-bit input).
    auto sun_ulaw = [](int pcm) {
        const int seg_end[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
        int mask = 0xFF;
        pcm >>= 2;
        if (pcm < 0) {
            pcm = -pcm;
            mask = 0x7F;
        }
        if (pcm > 8159) pcm = 8159;
        pcm += 0x84 >> 2;
        int seg = 0;
        while (seg < 8 && pcm > seg_end[seg]) ++seg;
        if (seg >= 8) return 0x7F ^ mask;
        return ((seg << 4) | ((pcm >> (seg + 1)) & 0xF)) ^ mask;
    };
    auto sun_alaw = [](int pcm) {
        const int seg_end[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
        int mask = 0xD5;
        pcm >>= 3;
        if (pcm < 0) {
            mask = 0x55;
            pcm = -pcm - 1;
        }
        int seg = 0;
        while (seg < 8 && pcm > seg_end[seg]) ++seg;
        if (seg >= 8) return 0x7F ^ mask;
        int aval = seg << 4;
        aval |= (seg < 2 ? pcm >> 1 : pcm >> seg) & 0xF;
        return aval ^ mask;
    };
    int bad_u = 0;
    int bad_a = 0;
    for (int s = -32768; s <= 32767; ++s) {
        bad_u += ulaw_encode(static_cast<std::int16_t>(s)) != sun_ulaw(s);
        bad_a += alaw_encode(static_cast<std::int16_t>(s)) != sun_alaw(s);
    }
    CHECK(bad_u == 0);
    CHECK(bad_a == 0);
}

TEST_CASE("audio: g711 bulk functions stop at the shorter span") {
    const std::int16_t pcm[4] = {0, 100, -100, 32767};
    std::uint8_t out[2] = {0, 0};
    CHECK(ulaw_encode(pcm, out) == 2);
    CHECK(out[0] == 0xFF);
    std::int16_t back[3] = {1, 1, 1};
    CHECK(alaw_decode(std::span<const std::uint8_t>(out), back) == 2);
    CHECK(back[2] == 1);
}
