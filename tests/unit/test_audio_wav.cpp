#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "test_audio_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::audio;
using audio_test::read_bytes;
using audio_test::read_s16;

namespace {

std::string fixture(const char* name) {
    return std::string(ROB_TEST_DATA_DIR) + "/audio/" + name;
}

void put16(std::vector<std::uint8_t>& v, std::uint32_t x) {
    v.push_back(static_cast<std::uint8_t>(x));
    v.push_back(static_cast<std::uint8_t>(x >> 8));
}
void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}
void tag(std::vector<std::uint8_t>& v, const char* t) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(t[i]));
}

// A fmt chunk (16 bytes) for `format`, `channels`, `bits` at 8 kHz.
void fmt_chunk(std::vector<std::uint8_t>& v, std::uint16_t format, std::uint16_t channels,
               std::uint16_t bits, std::uint32_t size = 16) {
    tag(v, "fmt ");
    put32(v, size);
    put16(v, format);
    put16(v, channels);
    put32(v, 8000);
    put32(v, 8000u * channels * bits / 8);
    put16(v, channels * bits / 8u);
    put16(v, bits);
}

std::vector<std::uint8_t> riff_start() {
    std::vector<std::uint8_t> v;
    tag(v, "RIFF");
    put32(v, 0);  // fixed by finish() when wanted
    tag(v, "WAVE");
    return v;
}

}  // namespace

TEST_CASE("audio: wav reads the files sox wrote, in every format") {
    const auto src = read_s16("src_stereo_s16.raw");  // 800 stereo frames
    REQUIRE(src.size() == 1600);
    std::vector<std::int16_t> left(800);
    extract_channel(src, 2, 0, left);

    struct Case {
        const char* file;
        std::uint16_t format;
        std::uint16_t bits;
        int tolerance;  // largest |decoded - source|
    };
    const Case cases[] = {
        {"wav_s16_stereo.wav", 1, 16, 0}, {"wav_s24.wav", 1, 24, 0},
        {"wav_s32.wav", 1, 32, 0},        {"wav_f32.wav", 3, 32, 0},
        {"wav_u8.wav", 1, 8, 128},        {"wav_ext_s24.wav", 1, 24, 0},
        {"wav_ulaw.wav", 7, 8, 1024},     {"wav_alaw.wav", 6, 8, 1024},
    };
    for (const auto& c : cases) {
        CAPTURE(std::string(c.file));
        auto w = read_wav_file(fixture(c.file));
        REQUIRE(w.ok());
        CHECK(w->sample_rate_hz == 8000);
        CHECK(w->channels == 2);
        CHECK(w->frames() == 800);
        CHECK(w->source_format == c.format);
        CHECK(w->source_bits == c.bits);
        REQUIRE(w->samples.size() == src.size());
        int worst = 0;
        for (std::size_t i = 0; i < src.size(); ++i)
            worst = std::max(worst, std::abs(int{w->samples[i]} - int{src[i]}));
        CHECK(worst <= c.tolerance);
        if (c.format == 7 || c.format == 6) {
            // SoX encodes with round-to-nearest; our decoder must give its exact values.
            std::vector<std::uint8_t> law(src.size());
            std::vector<std::int16_t> expect(src.size());
            if (c.format == 7) {
                ulaw_encode(src, law, G711Rounding::nearest);
                ulaw_decode(law, expect);
            } else {
                alaw_encode(src, law, G711Rounding::nearest);
                alaw_decode(law, expect);
            }
            CHECK(w->samples == expect);
        }
    }
    auto mono = read_wav_file(fixture("wav_s16_mono.wav"));
    REQUIRE(mono.ok());
    CHECK(mono->channels == 1);
    CHECK(mono->samples == left);
}

TEST_CASE("audio: wav write then read, in memory and on disk") {
    const auto src = read_s16("src_stereo_s16.raw");
    auto bytes = wav_bytes(src, 8000, 2);
    REQUIRE(bytes.ok());
    // The header is the canonical 44 bytes; sox's 16-bit stereo file is byte-identical.
    CHECK(bytes->size() == 44 + src.size() * 2);
    CHECK(bytes.value() == read_bytes("wav_s16_stereo.wav"));
    auto back = parse_wav(bytes.value());
    REQUIRE(back.ok());
    CHECK(back->samples == src);

    const std::string path = std::string(ROB_TEST_TMP_DIR) + "/audio_wav_roundtrip.wav";
    REQUIRE(write_wav_file(path, std::span(src).first(800), 16000, 1).ok());
    auto file = read_wav_file(path);
    REQUIRE(file.ok());
    CHECK(file->sample_rate_hz == 16000);
    CHECK(file->channels == 1);
    CHECK(file->samples == std::vector<std::int16_t>(src.begin(), src.begin() + 800));
    std::remove(path.c_str());

    CHECK(wav_bytes(src, 8000, 0).code() == Errc::invalid_argument);
    CHECK(wav_bytes(src, 0, 1).code() == Errc::invalid_argument);
    CHECK(wav_bytes(std::span(src).first(3), 8000, 2).code() == Errc::invalid_argument);
    auto empty = wav_bytes({}, 8000, 1);
    REQUIRE(empty.ok());
    auto parsed_empty = parse_wav(empty.value());
    REQUIRE(parsed_empty.ok());
    CHECK(parsed_empty->samples.empty());
    CHECK(read_wav_file(std::string(ROB_TEST_TMP_DIR) + "/no/such/file.wav").code() == Errc::io);
    CHECK(
        write_wav_file(std::string(ROB_TEST_TMP_DIR) + "/no/such/dir/x.wav", src, 8000, 1).code() ==
        Errc::io);
}

TEST_CASE("audio: wav skips unknown chunks with odd sizes and clamps streaming data sizes") {
    auto v = riff_start();
    tag(v, "JUNK");  // before fmt, odd size + pad byte
    put32(v, 3);
    v.insert(v.end(), {1, 2, 3, 0});
    fmt_chunk(v, 1, 1, 16);
    tag(v, "LIST");  // odd size, then its pad byte
    put32(v, 5);
    v.insert(v.end(), {'I', 'N', 'F', 'O', 'x', 0});
    tag(v, "data");
    put32(v, 0xFFFFFFFF);  // streaming writer: "until the end"
    for (int i = 0; i < 10; ++i) put16(v, static_cast<std::uint32_t>(i * 1000));
    v.push_back(0x7F);  // a dangling half sample
    auto w = parse_wav(v);
    REQUIRE(w.ok());
    CHECK(w->samples.size() == 10);
    CHECK(w->samples[9] == 9000);

    // The last chunk may miss its pad byte; a 24-bit stereo frame cut in half is dropped.
    auto t = riff_start();
    fmt_chunk(t, 1, 2, 24);
    tag(t, "data");
    put32(t, 6 * 3);
    for (int i = 0; i < 6 * 2 + 4; ++i) t.push_back(static_cast<std::uint8_t>(i));
    auto cut = parse_wav(t);
    REQUIRE(cut.ok());
    CHECK(cut->frames() == 2);
    // 24-bit little-endian 0x020100 -> rounded to 16 bits: 0x0201.
    CHECK(cut->samples[0] == 0x0201);

    // A float file with out-of-range values and a NaN saturates.
    auto f = riff_start();
    fmt_chunk(f, 3, 1, 32);
    tag(f, "data");
    put32(f, 16);
    for (float x : {2.0f, -2.0f, 0.5f, std::nanf("")}) {
        std::uint32_t u;
        std::memcpy(&u, &x, 4);
        put32(f, u);
    }
    auto fl = parse_wav(f);
    REQUIRE(fl.ok());
    CHECK(fl->samples == std::vector<std::int16_t>{32767, -32768, 16384, 0});
}

TEST_CASE("audio: wav malformed files are refused with bad_wav or unsupported") {
    const auto good = read_bytes("wav_s16_mono.wav");
    REQUIRE(good.size() > 44);
    // Every truncation inside the header fails cleanly; from the data on it is clamped.
    for (std::size_t n = 0; n < 44; ++n) {
        CAPTURE(n);
        auto r = parse_wav(std::span(good).first(n));
        CHECK(r.code() == Errc::bad_wav);
        if (!r) CHECK(!r.error().message.empty());
    }
    for (std::size_t n = 44; n < 60; ++n) {
        auto r = parse_wav(std::span(good).first(n));
        REQUIRE(r.ok());
        CHECK(r->samples.size() == (n - 44) / 2);
    }

    auto with_fmt = [](std::uint16_t format, std::uint16_t channels, std::uint16_t bits,
                       std::uint32_t fmt_size = 16) {
        auto v = riff_start();
        fmt_chunk(v, format, channels, bits, fmt_size);
        if (fmt_size > 16) v.resize(v.size() + fmt_size - 16, 0);
        tag(v, "data");
        put32(v, 4);
        put32(v, 0);
        return v;
    };
    CHECK(parse_wav(with_fmt(1, 1, 16)).ok());
    CHECK(parse_wav(with_fmt(1, 0, 16)).code() == Errc::bad_wav);     // zero channels
    CHECK(parse_wav(with_fmt(2, 1, 4)).code() == Errc::unsupported);  // MS ADPCM
    CHECK(parse_wav(with_fmt(1, 1, 12)).code() == Errc::unsupported);
    CHECK(parse_wav(with_fmt(7, 1, 16)).code() == Errc::unsupported);       // 16-bit mu-law?
    CHECK(parse_wav(with_fmt(0xFFFE, 1, 16)).code() == Errc::bad_wav);      // extensible, 16 bytes
    CHECK(parse_wav(with_fmt(0xFFFE, 1, 16, 40)).code() == Errc::bad_wav);  // cbSize 0

    // fmt chunk too small (14 bytes: the old WAVEFORMAT without bits per sample).
    {
        auto v = riff_start();
        tag(v, "fmt ");
        put32(v, 14);
        for (int i = 0; i < 14; ++i) v.push_back(1);
        tag(v, "data");
        put32(v, 0);
        auto r = parse_wav(v);
        CHECK(r.code() == Errc::bad_wav);
        CHECK(r.error().message.find("fmt") != std::string::npos);
    }
    // A chunk whose size overflows the file (and would wrap a 32-bit position).
    {
        auto v = riff_start();
        tag(v, "LIST");
        put32(v, 0xFFFFFFF8);
        v.resize(v.size() + 40, 0);
        CHECK(parse_wav(v).code() == Errc::bad_wav);
    }
    // Block align that disagrees with channels * bytes.
    {
        auto v = with_fmt(1, 2, 16);
        v[12 + 8 + 12] = 2;  // block_align = 2 instead of 4
        CHECK(parse_wav(v).code() == Errc::bad_wav);
    }
    // Sample rate 0, data before fmt, no data, two fmt chunks, not RIFF, RIFX.
    {
        auto v = with_fmt(1, 1, 16);
        v[12 + 8 + 4] = v[12 + 8 + 5] = 0;
        v[12 + 8 + 6] = v[12 + 8 + 7] = 0;
        CHECK(parse_wav(v).code() == Errc::bad_wav);
        auto d = riff_start();
        tag(d, "data");
        put32(d, 0);
        fmt_chunk(d, 1, 1, 16);
        CHECK(parse_wav(d).code() == Errc::bad_wav);
        auto n = riff_start();
        fmt_chunk(n, 1, 1, 16);
        CHECK(parse_wav(n).code() == Errc::bad_wav);
        auto two = riff_start();
        fmt_chunk(two, 1, 1, 16);
        fmt_chunk(two, 1, 1, 16);
        CHECK(parse_wav(two).code() == Errc::bad_wav);
        auto notriff = with_fmt(1, 1, 16);
        notriff[0] = 'X';
        CHECK(parse_wav(notriff).code() == Errc::bad_wav);
        auto rifx = with_fmt(1, 1, 16);
        rifx[3] = 'X';
        CHECK(parse_wav(rifx).code() == Errc::unsupported);
    }
    // Extensible with an unknown sub-format GUID.
    {
        auto v = read_bytes("wav_ext_s24.wav");
        REQUIRE(v.size() > 60);
        v[12 + 8 + 24 + 4] ^= 0xFF;  // inside the GUID's tail
        CHECK(parse_wav(v).code() == Errc::unsupported);
    }
}

TEST_CASE("audio: wav parser survives random corruption") {
    std::mt19937 rng(42);
    const char* files[] = {"wav_s16_stereo.wav", "wav_ext_s24.wav", "wav_ulaw.wav", "wav_f32.wav"};
    for (const char* name : files) {
        const auto good = read_bytes(name);
        for (int round = 0; round < 1500; ++round) {
            auto v = good;
            const int flips = 1 + static_cast<int>(rng() % 8);
            for (int i = 0; i < flips; ++i) {
                // Mostly the header, where the sizes and format live.
                const std::size_t at = rng() % 4 ? rng() % 80 : rng() % v.size();
                v[at] = static_cast<std::uint8_t>(rng());
            }
            if (rng() % 4 == 0) v.resize(rng() % v.size());
            auto r = parse_wav(v);
            if (r) {
                CHECK(r->channels > 0);
                CHECK(r->samples.size() <= v.size());
                CHECK(r->samples.size() % r->channels == 0);
            } else {
                CHECK((r.code() == Errc::bad_wav || r.code() == Errc::unsupported));
            }
        }
    }
}
