#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ringoverbot/streamer.hpp"

using namespace ringoverbot;
using namespace ringoverbot::streamer;

TEST_CASE("streamer: play, break are byte-exact") {
    OutboundEncoder enc;
    auto play = enc.play("https://host/prompt.mp3");
    REQUIRE(play.ok());
    CHECK(*play == R"({"event":"play","file":"https://host/prompt.mp3"})");
    auto esc = enc.play("https://h/a\"b\\c\u00e9.mp3");
    REQUIRE(esc.ok());
    CHECK(*esc == "{\"event\":\"play\",\"file\":\"https://h/a\\\"b\\\\c\u00e9.mp3\"}");
    CHECK(enc.break_playback() == R"({"event":"break"})");
    CHECK(enc.play("").code() == Errc::invalid_argument);
    CHECK(enc.play("https://h/\xff.mp3").code() == Errc::invalid_argument);
}

TEST_CASE("streamer: digits and transfer number policy") {
    OutboundEncoder enc;
    struct Case {
        const char* value;
        NumberPolicy policy;
        const char* data;  // what follows "data": ; nullptr = invalid_argument
    };
    const NumberPolicy autom{};
    const NumberPolicy str{NumberMode::string, false};
    const NumberPolicy plus{NumberMode::automatic, true};
    const Case digit_cases[] = {
        {"123", autom, "123"},
        {"0123", autom, R"("0123")"},
        {"0", autom, R"("0")"},
        {"*12#", autom, R"("*12#")"},
        {"1A2B3C4D", autom, R"("1A2B3C4D")"},
        {"+33612345678", autom, "33612345678"},
        {"123456789012345", autom, "123456789012345"},
        {"1234567890123456", autom, R"("1234567890123456")"},
        {"+33612345678", plus, R"("+33612345678")"},
        {"123", str, R"("123")"},
        {"", autom, nullptr},
        {"+", autom, nullptr},
        {"12a", autom, nullptr},
        {"1+2", autom, nullptr},
        {"12 3", autom, nullptr},
        {"12E", autom, nullptr},
    };
    for (const auto& c : digit_cases) {
        CAPTURE(c.value);
        auto r = enc.digits(c.value, c.policy);
        if (c.data == nullptr) {
            CHECK(r.code() == Errc::invalid_argument);
        } else {
            REQUIRE(r.ok());
            CHECK(*r == std::string(R"({"event":"digits","data":)") + c.data + "}");
        }
    }
    const Case transfer_cases[] = {
        {"33612345678", autom, "33612345678"},
        {"+33612345678", autom, "33612345678"},
        {"+33612345678", plus, R"("+33612345678")"},
        {"0612345678", autom, R"("0612345678")"},
        {"101", autom, "101"},
        {"101", str, R"("101")"},
        {"1234567890123456", autom, R"("1234567890123456")"},
        {"*12#", autom, nullptr},
        {"3361234567A", autom, nullptr},
        {"", autom, nullptr},
    };
    for (const auto& c : transfer_cases) {
        CAPTURE(c.value);
        auto r = enc.transfer(c.value, c.policy);
        if (c.data == nullptr) {
            CHECK(r.code() == Errc::invalid_argument);
        } else {
            REQUIRE(r.ok());
            CHECK(*r == std::string(R"({"event":"transfer","data":)") + c.data + "}");
        }
    }
}

TEST_CASE("streamer: streamAudio from PCM is byte-exact and little-endian") {
    OutboundEncoder enc;
    const std::vector<std::int16_t> pcm{0, 1, -1, 32767, -32768, 1000, -1000};
    auto r = enc.stream_audio(pcm, 8000);
    REQUIRE(r.ok());
    CHECK(
        *r ==
        R"({"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":"AAABAP///38AgOgDGPw="}})");
    CHECK(r->size() == stream_audio_message_size(AudioDataType::raw, 8000, pcm.size() * 2));
    auto r24 = enc.stream_audio(pcm, 24000);
    REQUIRE(r24.ok());
    CHECK(r24->find(R"("sampleRate":24000,)") != std::string_view::npos);
}

TEST_CASE("streamer: streamAudio round-trips through the inbound decoder's parser") {
    OutboundEncoder enc;
    std::vector<std::int16_t> pcm;
    for (int i = 0; i < 1600; ++i)
        pcm.push_back(static_cast<std::int16_t>((i * 7919) % 65536 - 32768));
    auto r = enc.stream_audio(pcm, 16000);
    REQUIRE(r.ok());
    // The decoder reads the same data object once the discriminator names an inbound event.
    std::string msg(*r);
    const std::string from = R"("type":"streamAudio")";
    REQUIRE(msg.compare(1, from.size(), from) == 0);
    msg.replace(1, from.size(), R"("type":"audio_data")");
    InboundDecoder d;
    const auto& ev = d.decode_text(msg);
    REQUIRE(ev.kind == EventKind::audio);
    CHECK(ev.format.sample_rate_hz == 16000);
    CHECK(std::vector<std::int16_t>(ev.samples.begin(), ev.samples.end()) == pcm);
}

TEST_CASE("streamer: streamAudio from encoded bytes and invalid arguments") {
    OutboundEncoder enc;
    const std::vector<std::uint8_t> wav{'R', 'I', 'F', 'F'};
    auto r = enc.stream_audio_bytes(AudioDataType::wav, wav, 16000);
    REQUIRE(r.ok());
    CHECK(
        *r ==
        R"({"type":"streamAudio","data":{"audioDataType":"wav","sampleRate":16000,"audioData":"UklGRg=="}})");
    auto mp3 = enc.stream_audio_bytes(AudioDataType::mp3, wav, 8000);
    REQUIRE(mp3.ok());
    CHECK(mp3->find(R"("audioDataType":"mp3")") != std::string_view::npos);
    auto ogg = enc.stream_audio_bytes(AudioDataType::ogg, wav, 24000);
    REQUIRE(ogg.ok());
    CHECK(ogg->find(R"("audioDataType":"ogg")") != std::string_view::npos);

    // invalid arguments are refused before anything is written: the last message is intact
    const std::string_view last = enc.break_playback();
    const std::vector<std::int16_t> pcm{1, 2, 3};
    CHECK(enc.stream_audio(pcm, 44100).code() == Errc::invalid_argument);
    CHECK(enc.stream_audio(pcm, 0).code() == Errc::invalid_argument);
    CHECK(enc.stream_audio({}, 8000).code() == Errc::invalid_argument);
    const std::vector<std::uint8_t> odd{1, 2, 3};
    CHECK(enc.stream_audio_bytes(AudioDataType::raw, odd, 8000).code() == Errc::invalid_argument);
    CHECK(enc.stream_audio_bytes(AudioDataType::wav, {}, 8000).code() == Errc::invalid_argument);
    CHECK(enc.stream_audio_bytes(static_cast<AudioDataType>(7), wav, 8000).code() ==
          Errc::invalid_argument);
    CHECK(last == R"({"event":"break"})");
}

TEST_CASE("streamer: chunk sizes and message bounds") {
    CHECK(samples_per_chunk(8000, 20) == 160);
    CHECK(samples_per_chunk(16000, 100) == 1600);
    CHECK(samples_per_chunk(24000, 200) == 4800);
    CHECK(samples_per_chunk(8000, 500) == 4000);
    CHECK(kMinChunkMs == 100);
    CHECK(kMaxChunkMs == 500);
    OutboundEncoder enc;
    for (const std::uint32_t rate : {8000u, 16000u, 24000u}) {
        for (const std::size_t n : {2u, 4u, 6u, 320u, 3200u, 9600u}) {
            for (const auto type :
                 {AudioDataType::raw, AudioDataType::mp3, AudioDataType::wav, AudioDataType::ogg}) {
                const std::vector<std::uint8_t> data(n, 0x5A);
                auto r = enc.stream_audio_bytes(type, data, rate);
                REQUIRE(r.ok());
                CHECK(r->size() == stream_audio_message_size(type, rate, n));
                CHECK(r->size() <= stream_audio_message_bound(n));
            }
        }
    }
    CHECK(stream_audio_message_bound(SIZE_MAX) == SIZE_MAX);
    CHECK(stream_audio_message_bound(SIZE_MAX / 4 * 3) == SIZE_MAX);
}
