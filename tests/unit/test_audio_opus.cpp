#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "test_audio_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::audio;
using audio_test::tone;
using audio_test::tone_amplitude;
using audio_test::zero_crossing_hz;

namespace {

// Encodes `pcm` (mono) in 20 ms frames and decodes every packet; returns the decoded audio.
std::vector<std::int16_t> round_trip(std::uint32_t rate, const std::vector<std::int16_t>& pcm,
                                     std::uint32_t bitrate, std::size_t* bytes = nullptr) {
    auto enc = OpusEncoder::create(rate, 1, bitrate);
    auto dec = OpusDecoder::create(rate, 1);
    REQUIRE(enc.ok());
    REQUIRE(dec.ok());
    const std::size_t frame = rate / 50;
    std::vector<std::uint8_t> packet(1275);
    std::vector<std::int16_t> out;
    std::vector<std::int16_t> buf(frame);
    std::size_t total = 0;
    for (std::size_t pos = 0; pos + frame <= pcm.size(); pos += frame) {
        auto n = enc->encode(std::span(pcm).subspan(pos, frame), packet);
        REQUIRE(n.ok());
        REQUIRE(n.value() > 0);
        total += n.value();
        auto got = dec->decode(std::span(packet).first(n.value()), buf);
        REQUIRE(got.ok());
        CHECK(got.value() == frame);
        out.insert(out.end(), buf.begin(), buf.end());
    }
    if (bytes) *bytes = total;
    return out;
}

}  // namespace

TEST_CASE("audio: opus round trip keeps a tone's frequency and energy") {
    for (std::uint32_t rate : {8000u, 16000u, 48000u}) {
        CAPTURE(rate);
        const auto in = tone(1000.0, rate, rate, 10000.0);  // 1 s
        std::size_t bytes = 0;
        const auto out = round_trip(rate, in, 24000, &bytes);
        REQUIRE(out.size() == rate);
        // Skip the codec's start-up (lookahead, ~6.5 ms, and the first frames' adaptation).
        const auto mid = std::span<const std::int16_t>(out).subspan(rate / 5, rate * 3 / 5);
        CHECK(zero_crossing_hz(mid, rate) == doctest::Approx(1000.0).epsilon(0.005));
        const double amp = tone_amplitude(mid, 1000.0, rate);
        CAPTURE(amp);
        CHECK(amp == doctest::Approx(10000.0).epsilon(0.15));
        // 24 kbit/s for 1 s is 3000 bytes; VBR stays near it.
        CAPTURE(bytes);
        CHECK(bytes > 1000);
        CHECK(bytes < 4500);
    }
}

TEST_CASE("audio: opus frame sizes, rates and channels are validated") {
    CHECK(opus_frame_size_valid(8000, 160));
    CHECK(opus_frame_size_valid(8000, 20));          // 2.5 ms
    CHECK(opus_frame_size_valid(48000, 2880));       // 60 ms
    CHECK_FALSE(opus_frame_size_valid(8000, 120));   // 15 ms
    CHECK_FALSE(opus_frame_size_valid(16000, 400));  // 25 ms
    CHECK_FALSE(opus_frame_size_valid(22050, 441));

    CHECK(OpusEncoder::create(22050).code() == Errc::invalid_argument);
    CHECK(OpusDecoder::create(22050).code() == Errc::invalid_argument);
    CHECK(OpusEncoder::create(16000, 3).code() == Errc::invalid_argument);
    CHECK(OpusDecoder::create(16000, 0).code() == Errc::invalid_argument);
    CHECK(OpusEncoder::create(12000).ok());
    CHECK(OpusEncoder::create(24000, 2).ok());

    auto enc = OpusEncoder::create(8000);
    REQUIRE(enc.ok());
    std::vector<std::int16_t> pcm(120);  // 15 ms at 8 kHz
    std::vector<std::uint8_t> out(1275);
    auto r = enc->encode(pcm, out);
    CHECK(r.code() == Errc::invalid_argument);
    CHECK(r.error().message.find("15") == std::string::npos);  // says samples, not ms
    CHECK(r.error().message.find("120 samples at 8000 Hz") != std::string::npos);
    std::vector<std::uint8_t> none;
    CHECK(enc->encode(std::vector<std::int16_t>(160), none).code() == Errc::buffer_too_small);
    CHECK(enc->set_bitrate(100).code() == Errc::invalid_argument);
    CHECK(enc->set_bitrate(16000).ok());
    CHECK(enc->set_bitrate(0).ok());
    CHECK(enc->lookahead() > 0);

    auto st = OpusEncoder::create(16000, 2);
    REQUIRE(st.ok());
    CHECK(st->encode(std::vector<std::int16_t>(641), out).code() == Errc::invalid_argument);
    CHECK(st->encode(std::vector<std::int16_t>(640), out).ok());
}

TEST_CASE("audio: opus garbage packets give errors, never crashes") {
    auto dec = OpusDecoder::create(16000);
    REQUIRE(dec.ok());
    std::vector<std::int16_t> pcm(5760);
    // TOC code 3 with a frame count of 63 x 20 ms: more than the 120 ms a packet may hold.
    const std::uint8_t bad[] = {0xFF, 0xFF, 0xFF, 0xFF};
    auto r = dec->decode(bad, pcm);
    CHECK(r.code() == Errc::codec);
    CHECK(!r.error().message.empty());
    // Code 3 with a frame count of 0.
    const std::uint8_t zero_frames[] = {0x03, 0x00};
    CHECK(dec->decode(zero_frames, pcm).code() == Errc::codec);
    // Random bytes: whatever libopus says, no crash and never more than the buffer.
    std::mt19937 rng(7);
    std::vector<std::uint8_t> junk(200);
    for (int i = 0; i < 2000; ++i) {
        junk.resize(1 + rng() % 200);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        auto got = dec->decode(junk, pcm);
        if (got.ok()) {
            CHECK(got.value() <= pcm.size());
        } else {
            CHECK((got.code() == Errc::codec || got.code() == Errc::buffer_too_small));
        }
    }
}

TEST_CASE("audio: opus concealment, buffer checks, stereo and rate change") {
    auto enc = OpusEncoder::create(16000);
    auto dec = OpusDecoder::create(16000);
    REQUIRE(enc.ok());
    REQUIRE(dec.ok());
    const auto pcm = tone(440.0, 16000, 640, 8000.0);
    std::vector<std::uint8_t> packet(1275);
    std::vector<std::int16_t> out(960);
    auto n = enc->encode(std::span(pcm).first(320), packet);
    REQUIRE(n.ok());
    REQUIRE(dec->decode(std::span(packet).first(n.value()), out).value() == 320);
    // A lost packet: one frame of concealment as long as the last one.
    auto plc = dec->decode({}, out);
    REQUIRE(plc.ok());
    CHECK(plc.value() == 320);
    // Concealment shrinks to what fits, in 2.5 ms steps.
    auto small = dec->decode({}, std::span(out).first(100));
    REQUIRE(small.ok());
    CHECK(small.value() == 80);
    CHECK(dec->decode({}, std::span(out).first(10)).code() == Errc::buffer_too_small);
    // A 20 ms packet does not fit in 10 ms of room.
    CHECK(dec->decode(std::span(packet).first(n.value()), std::span(out).first(160)).code() ==
          Errc::buffer_too_small);

    // A 48 kHz stereo packet decoded by a 16 kHz mono decoder.
    auto enc48 = OpusEncoder::create(48000, 2, 64000);
    REQUIRE(enc48.ok());
    std::vector<std::int16_t> st(960 * 2, 1000);
    auto p48 = enc48->encode(st, packet);
    REQUIRE(p48.ok());
    CHECK(dec->decode(std::span(packet).first(p48.value()), out).value() == 320);
    auto dec_st = OpusDecoder::create(48000, 2);
    REQUIRE(dec_st.ok());
    std::vector<std::int16_t> st_out(960 * 2);
    CHECK(dec_st->decode(std::span(packet).first(p48.value()), st_out).value() == 960);
}
