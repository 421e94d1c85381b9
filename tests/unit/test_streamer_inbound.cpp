#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ringoverbot/streamer.hpp"

using namespace ringoverbot;
using namespace ringoverbot::streamer;

namespace {

// s16 samples as little-endian wire bytes, built byte by byte (host order independent).
std::vector<std::uint8_t> le_bytes(const std::vector<std::int16_t>& pcm) {
    std::vector<std::uint8_t> out;
    for (const auto s : pcm) {
        const auto u = static_cast<std::uint16_t>(s);
        out.push_back(static_cast<std::uint8_t>(u & 0xFF));
        out.push_back(static_cast<std::uint8_t>(u >> 8));
    }
    return out;
}

std::vector<std::int16_t> ramp(std::size_t n, int start, int step) {
    std::vector<std::int16_t> v;
    for (std::size_t i = 0; i < n; ++i) {
        v.push_back(static_cast<std::int16_t>(start + static_cast<int>(i) * step));
    }
    return v;
}

std::vector<std::int16_t> samples_of(const InboundEvent& ev) {
    return {ev.samples.begin(), ev.samples.end()};
}

const InboundEvent& feed_binary(InboundDecoder& d, const std::vector<std::uint8_t>& b) {
    return d.decode(b, true);
}

}  // namespace

TEST_CASE("streamer: form A binary L16 8 kHz mono") {
    InboundDecoder d;
    const auto pcm = ramp(160, -8000, 100);
    const auto& ev = feed_binary(d, le_bytes(pcm));
    REQUIRE(ev.kind == EventKind::audio);
    CHECK(ev.dialect == Dialect::binary);
    CHECK(ev.format.sample_rate_hz == 8000);
    CHECK(ev.format.channels == 1);
    CHECK(ev.format.encoding == Encoding::l16);
    CHECK(samples_of(ev) == pcm);
    CHECK(d.stats().messages == 1);
    CHECK(d.stats().errors == 0);
}

TEST_CASE("streamer: form A binary 16 kHz from configuration") {
    InboundDecoder d(DecoderConfig{16000, 1, 1 << 20});
    const auto pcm = ramp(320, 32000, -200);
    const auto& ev = feed_binary(d, le_bytes(pcm));
    REQUIRE(ev.kind == EventKind::audio);
    CHECK(ev.samples.size() == 320);
    CHECK(ev.format.sample_rate_hz == 16000);
    CHECK(samples_of(ev) == pcm);
}

TEST_CASE("streamer: form A stereo is interleaved and partial frames are errors") {
    InboundDecoder d(DecoderConfig{8000, 2, 1 << 20});
    // caller (left) then bot (right), two frames
    const std::vector<std::uint8_t> wire{0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F};
    const auto& ev = d.decode(wire, true);
    REQUIRE(ev.kind == EventKind::audio);
    CHECK(ev.format.channels == 2);
    CHECK(samples_of(ev) == std::vector<std::int16_t>{1, -1, -32768, 32767});

    const std::vector<std::uint8_t> odd{1, 2, 3};
    const auto& e1 = d.decode(odd, true);
    CHECK(e1.kind == EventKind::error);
    CHECK(e1.error_code == Errc::bad_audio);
    CHECK_FALSE(e1.error_message.empty());
    const std::vector<std::uint8_t> half_frame{1, 2, 3, 4, 5, 6};  // 3 samples: not 2 channels
    CHECK(d.decode(half_frame, true).kind == EventKind::error);

    // the stream goes on
    const auto& again = d.decode(wire, true);
    CHECK(again.kind == EventKind::audio);
    CHECK(again.samples.size() == 4);
    CHECK(d.stats().errors == 2);
    CHECK(d.stats().messages == 4);
}

TEST_CASE("streamer: mono binary frame of odd length is an error, the call goes on") {
    InboundDecoder d;
    CHECK(d.decode(std::vector<std::uint8_t>(321, 0), true).error_code == Errc::bad_audio);
    CHECK(d.decode(std::vector<std::uint8_t>(320, 0), true).kind == EventKind::audio);
    CHECK_FALSE(d.ended());
}

TEST_CASE("streamer: call_start call_id as number, string, and uint64 max, never via double") {
    struct Case {
        const char* json;
        const char* call_id;
    };
    const Case cases[] = {
        {R"({"event":"call_start","call_id":8812004471932250113})", "8812004471932250113"},
        {R"({"event":"call_start","call_id":"8812004471932250113"})", "8812004471932250113"},
        {R"({"event":"call_start","call_id":18446744073709551615})", "18446744073709551615"},
        {R"({"event":"call_start","call_id":"18446744073709551615"})", "18446744073709551615"},
        // not a uint64: kept as the peer's text
        {R"({"event":"call_start","call_id":18446744073709551616 })", "18446744073709551616"},
        {R"({"event":"call_start","call_id":"abc-42"})", "abc-42"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        InboundDecoder d;
        const auto& ev = d.decode_text(c.json);
        REQUIRE(ev.kind == EventKind::metadata);
        CHECK(ev.dialect == Dialect::json);
        REQUIRE(ev.metadata.call_id.has_value());
        CHECK(*ev.metadata.call_id == c.call_id);
        CHECK(ev.metadata.raw == c.json);
        CHECK_FALSE(ev.metadata.from_number.has_value());
    }
}

TEST_CASE("streamer: call_start fields and audio format") {
    InboundDecoder d;
    const std::string msg =
        R"({"event":"call_start","call_id":8812004471932250113,"channel_id":"ch-7",)"
        R"("from_number":"33612345678","to_number":33187654321,"direction":"inbound",)"
        R"("audio":{"encoding":"PCMU","sampleRate":16000,"channels":2}})";
    const auto& ev = d.decode_text(msg);
    REQUIRE(ev.kind == EventKind::metadata);
    CHECK(*ev.metadata.call_id == "8812004471932250113");
    CHECK(*ev.metadata.channel_id == "ch-7");
    CHECK(*ev.metadata.from_number == "33612345678");
    CHECK(*ev.metadata.to_number == "33187654321");
    CHECK(*ev.metadata.direction == "inbound");
    CHECK(ev.metadata.raw == msg);
    CHECK(ev.format.encoding == Encoding::pcmu);
    CHECK(ev.format.sample_rate_hz == 16000);
    CHECK(ev.format.channels == 2);
    CHECK(d.format().encoding == Encoding::pcmu);

    // binary frames now follow the declared format: PCMU stereo, one byte per sample
    const std::vector<std::uint8_t> wire{0x00, 0x80, 0xFF, 0x7F};
    const auto& a = d.decode(wire, true);
    REQUIRE(a.kind == EventKind::audio);
    CHECK(a.format.encoding == Encoding::pcmu);
    CHECK(samples_of(a) == std::vector<std::int16_t>{-32124, 32124, 0, 0});
}

TEST_CASE("streamer: call_start with an invalid format is an error and keeps the defaults") {
    const char* bad[] = {
        R"({"event":"call_start","audio":{"encoding":"OPUS"}})",
        R"({"event":"call_start","audio":{"sampleRate":12345}})",
        R"({"event":"call_start","audio":{"sampleRate":-8000}})",
        R"({"event":"call_start","audio":{"sampleRate":8000.5}})",
        R"({"event":"call_start","audio":{"channels":3}})",
        R"({"event":"call_start","audio":{"channels":"two"}})",
    };
    for (const char* json : bad) {
        CAPTURE(json);
        InboundDecoder d;
        const auto& ev = d.decode_text(json);
        CHECK(ev.kind == EventKind::error);
        CHECK(ev.error_code == Errc::bad_audio);
        CHECK(d.format().encoding == Encoding::l16);
        CHECK(d.format().sample_rate_hz == 8000);
        CHECK(d.format().channels == 1);
    }
    InboundDecoder d;
    const auto& ok =
        d.decode_text(R"({"event":"call_start","audio":{"encoding":"pcma","sampleRate":"24000"}})");
    CHECK(ok.kind == EventKind::metadata);
    CHECK(d.format().encoding == Encoding::pcma);
    CHECK(d.format().sample_rate_hz == 24000);
}

TEST_CASE("streamer: audio_data L16 with padded, unpadded and line-broken base64") {
    const std::vector<std::int16_t> pcm{0, 1, -1, 32767, -32768, 1000, -1000};
    const char* msgs[] = {
        R"({"event":"audio_data","data":{"audioData":"AAABAP///38AgOgDGPw=","encoding":"L16","sampleRate":8000}})",
        R"({"event":"audio_data","data":{"audioData":"AAABAP///38AgOgDGPw","encoding":"L16"}})",
        R"({"event":"audio_data","data":{"audioData":"AAABAP//\r\n/38AgOgD\nGPw="}})",
        R"({"event":"audio_data","data":{"audioData":"AAABAP\/\/\/38AgOgDGPw="}})",
        // flat layout and the `type` discriminator
        R"({"type":"audio_data","audioData":"AAABAP///38AgOgDGPw="})",
        R"({"data":{"audioData":"AAABAP///38AgOgDGPw="},"event":"audio_data"})",
    };
    for (const char* json : msgs) {
        CAPTURE(json);
        InboundDecoder d;
        const auto& ev = d.decode_text(json);
        REQUIRE(ev.kind == EventKind::audio);
        CHECK(ev.dialect == Dialect::json);
        CHECK(ev.format.encoding == Encoding::l16);
        CHECK(ev.format.sample_rate_hz == 8000);
        CHECK(samples_of(ev) == pcm);
    }
}

TEST_CASE("streamer: audio_data PCMU and PCMA decode to the standard G.711 values") {
    InboundDecoder d;
    const auto& u = d.decode_text(
        R"({"event":"audio_data","data":{"audioData":"AID/fw==","encoding":"PCMU","sampleRate":8000}})");
    REQUIRE(u.kind == EventKind::audio);
    CHECK(u.format.encoding == Encoding::pcmu);
    CHECK(samples_of(u) == std::vector<std::int16_t>{-32124, 32124, 0, 0});
    const auto& a = d.decode_text(
        R"({"event":"audio_data","data":{"audioData":"1VUAqg==","encoding":"PCMA"}})");
    REQUIRE(a.kind == EventKind::audio);
    CHECK(a.format.encoding == Encoding::pcma);
    CHECK(samples_of(a) == std::vector<std::int16_t>{8, -8, -5504, 32256});
}

TEST_CASE("streamer: audio_data encoding and rate default to call_start's") {
    InboundDecoder d;
    REQUIRE(
        d.decode_text(R"({"event":"call_start","audio":{"encoding":"PCMA","sampleRate":16000}})")
            .kind == EventKind::metadata);
    const auto& a = d.decode_text(R"({"event":"audio_data","data":{"audioData":"1VUAqg=="}})");
    REQUIRE(a.kind == EventKind::audio);
    CHECK(a.format.encoding == Encoding::pcma);
    CHECK(a.format.sample_rate_hz == 16000);
    CHECK(samples_of(a) == std::vector<std::int16_t>{8, -8, -5504, 32256});
    // per-message overrides do not change the stream's format
    const auto& b = d.decode_text(
        R"({"event":"audio_data","data":{"audioData":"ZAA4/ywBcP4=","encoding":"L16","sampleRate":8000}})");
    REQUIRE(b.kind == EventKind::audio);
    CHECK(b.format.encoding == Encoding::l16);
    CHECK(b.format.sample_rate_hz == 8000);
    CHECK(samples_of(b) == std::vector<std::int16_t>{100, -200, 300, -400});
    CHECK(d.format().encoding == Encoding::pcma);
    CHECK(d.format().sample_rate_hz == 16000);
}

TEST_CASE("streamer: audio_data errors") {
    InboundDecoder d;
    REQUIRE(d.decode_text(R"({"event":"call_start"})").kind == EventKind::metadata);
    CHECK(d.decode_text(R"({"event":"audio_data","data":{}})").error_code == Errc::protocol);
    CHECK(d.decode_text(R"({"event":"audio_data","data":{"audioData":"@@@@"}})").error_code ==
          Errc::bad_base64);
    // "AAEC" is 3 bytes: not a whole number of L16 samples
    CHECK(d.decode_text(R"({"event":"audio_data","data":{"audioData":"AAEC"}})").error_code ==
          Errc::bad_audio);
    CHECK(d.decode_text(R"({"event":"audio_data","data":{"audioData":"AAEC","encoding":"G729"}})")
              .error_code == Errc::bad_audio);
    CHECK(d.decode_text(R"({"event":"audio_data","data":{"audioData":"AAEC","sampleRate":7}})")
              .error_code == Errc::bad_audio);
    CHECK(d.decode_text(R"({"event":"audio_data","data":{"audioData":""}})").kind ==
          EventKind::none);
    CHECK(d.stats().errors == 5);
}

TEST_CASE("streamer: Twilio-style media events are mu-law audio") {
    InboundDecoder d;
    const auto& ev = d.decode_text(
        R"({"event":"media","sequenceNumber":"3","media":{"track":"inbound","payload":"AID/fw=="}})");
    REQUIRE(ev.kind == EventKind::audio);
    CHECK(ev.format.encoding == Encoding::pcmu);
    CHECK(samples_of(ev) == std::vector<std::int16_t>{-32124, 32124, 0, 0});
}

TEST_CASE("streamer: dtmf digits") {
    InboundDecoder d;
    struct Case {
        const char* json;
        char digit;
    };
    const Case good[] = {
        {R"({"event":"dtmf","digit":"5"})", '5'},         {R"({"event":"dtmf","digit":"#"})", '#'},
        {R"({"event":"dtmf","digit":"*"})", '*'},         {R"({"event":"dtmf","digit":"a"})", 'A'},
        {R"({"event":"dtmf","digit":"D"})", 'D'},         {R"({"event":"dtmf","digit":7})", '7'},
        {R"({"type":"dtmf","data":{"digit":"0"}})", '0'},
    };
    for (const auto& c : good) {
        CAPTURE(c.json);
        const auto& ev = d.decode_text(c.json);
        REQUIRE(ev.kind == EventKind::dtmf);
        CHECK(ev.digit == c.digit);
    }
    const char* bad[] = {
        R"({"event":"dtmf","digit":"55"})",
        R"({"event":"dtmf","digit":"E"})",
        R"({"event":"dtmf","digit":""})",
        R"({"event":"dtmf","digit":12})",
        R"({"event":"dtmf"})",
        R"({"event":"dtmf","digit":true})",
    };
    for (const char* json : bad) {
        CAPTURE(json);
        const auto& ev = d.decode_text(json);
        CHECK(ev.kind == EventKind::error);
        CHECK(ev.error_code == Errc::protocol);
    }
}

TEST_CASE("streamer: call_end then close gives exactly one end") {
    InboundDecoder d;
    REQUIRE(d.decode_text(R"({"event":"call_start","call_id":1})").kind == EventKind::metadata);
    const auto& end = d.decode_text(R"({"event":"call_end"})");
    REQUIRE(end.kind == EventKind::end);
    CHECK(end.reason == "hangup");
    CHECK(d.ended());
    // everything after the end is ignored, the close too
    CHECK(d.decode(std::vector<std::uint8_t>(320, 0), true).kind == EventKind::none);
    CHECK(d.decode_text(R"({"event":"call_end"})").kind == EventKind::none);
    CHECK(d.close("close").kind == EventKind::none);
    CHECK(d.stats().ignored == 2);

    InboundDecoder d2;
    const auto& e2 = d2.decode_text(R"({"event":"call_end","reason":"transfer"})");
    CHECK(e2.kind == EventKind::end);
    CHECK(e2.reason == "transfer");

    InboundDecoder d3;
    CHECK(d3.decode(std::vector<std::uint8_t>(320, 0), true).kind == EventKind::audio);
    const auto& e3 = d3.close("");
    CHECK(e3.kind == EventKind::end);
    CHECK(e3.reason == "close");
    CHECK(d3.close("disconnect").kind == EventKind::none);
    InboundDecoder d4;
    CHECK(d4.close("disconnect").reason == "disconnect");
}

TEST_CASE("streamer: form C first text frame JSON metadata with aliases") {
    InboundDecoder d;
    const std::string msg =
        R"({"callId":"8812004471932250113","uuid":"0f3c-uuid","from":"+33612345678","to":"33187654321","custom":{"x":[1,2]}})";
    const auto& ev = d.decode_text(msg);
    REQUIRE(ev.kind == EventKind::metadata);
    CHECK(ev.dialect == Dialect::metadata);
    CHECK(*ev.metadata.call_id == "8812004471932250113");
    CHECK(*ev.metadata.channel_id == "0f3c-uuid");
    CHECK(*ev.metadata.from_number == "+33612345678");
    CHECK(*ev.metadata.to_number == "33187654321");
    CHECK_FALSE(ev.metadata.direction.has_value());
    CHECK(ev.metadata.raw == msg);

    // canonical names win over aliases whatever the order
    InboundDecoder d2;
    const auto& e2 = d2.decode_text(
        R"({"uuid":"u","channel_id":"c","from":"f","from_number":"F","callId":"1","call_id":"2"})");
    REQUIRE(e2.kind == EventKind::metadata);
    CHECK(*e2.metadata.channel_id == "c");
    CHECK(*e2.metadata.from_number == "F");
    CHECK(*e2.metadata.call_id == "2");

    // then binary audio (mod_audio_stream): the dialect becomes binary
    const auto& a = d.decode(std::vector<std::uint8_t>(320, 0), true);
    CHECK(a.kind == EventKind::audio);
    CHECK(a.dialect == Dialect::binary);
    // later unknown JSON is ignored and counted
    CHECK(d.decode_text(R"({"event":"something"})").kind == EventKind::none);
    CHECK(d.stats().ignored == 1);
}

TEST_CASE("streamer: form C non-JSON first frame keeps the raw text, later non-JSON is an error") {
    InboundDecoder d;
    const auto& ev = d.decode_text("call=42;from=+33612345678");
    REQUIRE(ev.kind == EventKind::metadata);
    CHECK(ev.dialect == Dialect::metadata);
    CHECK(ev.metadata.raw == "call=42;from=+33612345678");
    CHECK_FALSE(ev.metadata.call_id.has_value());
    const auto& e2 = d.decode_text("more free text");
    CHECK(e2.kind == EventKind::error);
    CHECK(e2.error_code == Errc::bad_json);
    CHECK(d.decode_text("[1,2]").error_code == Errc::bad_json);
    CHECK(d.decode_text("42").error_code == Errc::bad_json);

    InboundDecoder empty;
    const auto& e3 = empty.decode_text("");
    CHECK(e3.kind == EventKind::metadata);
    CHECK(e3.metadata.raw.empty());
}

TEST_CASE("streamer: form C metadata may set the binary format (mod_audio_stream)") {
    InboundDecoder d;
    REQUIRE(d.decode_text(R"({"uuid":"x","sampleRate":16000,"channels":2})").kind ==
            EventKind::metadata);
    CHECK(d.format().sample_rate_hz == 16000);
    CHECK(d.format().channels == 2);
    InboundDecoder odd;  // an odd format in free metadata is ignored, not an error
    CHECK(odd.decode_text(R"({"uuid":"x","sampleRate":5})").kind == EventKind::metadata);
    CHECK(odd.format().sample_rate_hz == 8000);
}

TEST_CASE("streamer: unknown events are ignored and counted, malformed JSON is an error") {
    InboundDecoder d;
    REQUIRE(d.decode_text(R"({"event":"call_start"})").kind == EventKind::metadata);
    CHECK(d.decode_text(R"({"event":"mark","name":"x"})").kind == EventKind::none);
    CHECK(d.decode_text(R"({"type":"streamAudio","data":{"audioData":"AAAA"}})").kind ==
          EventKind::none);
    CHECK(d.decode_text(R"({"no_event":1})").kind == EventKind::none);
    CHECK(d.decode_text(R"({"event":42})").kind == EventKind::none);
    CHECK(d.stats().ignored == 4);

    const char* malformed[] = {
        R"({"event":"dtmf","digit":)",
        R"({"event":"dtmf","digit":"1"} x)",
        R"({"event":"dtmf",,})",
        R"({"event":"dtmf","digit":"1")",
        "{\"event\":\"dtmf\",\"digit\":\"\xff\"}",
    };
    for (const char* json : malformed) {
        CAPTURE(json);
        const auto& ev = d.decode_text(json);
        CHECK(ev.kind == EventKind::error);
        CHECK(ev.error_code == Errc::bad_json);
    }
    CHECK(d.stats().errors == 5);
    CHECK(d.stats().messages == 10);
}

TEST_CASE("streamer: messages larger than the maximum are errors") {
    InboundDecoder d(DecoderConfig{8000, 1, 1000});
    CHECK(d.decode(std::vector<std::uint8_t>(1000, 0), true).kind == EventKind::audio);
    const auto& big = d.decode(std::vector<std::uint8_t>(1002, 0), true);
    CHECK(big.kind == EventKind::error);
    CHECK(big.error_code == Errc::too_large);
    std::string text = R"({"event":"dtmf","digit":"1","pad":")";
    text += std::string(1001 - text.size() - 2, 'x') + "\"}";
    REQUIRE(text.size() == 1001);
    CHECK(d.decode_text(text).error_code == Errc::too_large);
    CHECK(d.stats().errors == 2);
}

TEST_CASE("streamer: validate(DecoderConfig)") {
    CHECK(validate(DecoderConfig{}).ok());
    CHECK(validate(DecoderConfig{24000, 2, 10}).ok());
    CHECK(validate(DecoderConfig{7000, 1, 10}).code() == Errc::invalid_argument);
    CHECK(validate(DecoderConfig{8000, 3, 10}).code() == Errc::invalid_argument);
    CHECK(validate(DecoderConfig{8000, 1, 0}).code() == Errc::invalid_argument);
    InboundDecoder d(DecoderConfig{7000, 3, 0});  // replaced by defaults
    CHECK(d.format().sample_rate_hz == 8000);
    CHECK(d.format().channels == 1);
}

TEST_CASE("streamer: hostile bytes never crash the decoder") {
    std::mt19937 rng(12345);
    const std::string seeds[] = {
        R"({"event":"call_start","call_id":8812004471932250113,"audio":{"encoding":"PCMU","sampleRate":16000,"channels":2}})",
        R"({"event":"audio_data","data":{"audioData":"AAABAP///38AgOgDGPw=","encoding":"L16"}})",
        R"({"event":"dtmf","digit":"5"})",
        R"({"event":"call_end","reason":"x"})",
        R"({"event":"media","media":{"payload":"AID/fw=="}})",
        R"({"callId":"1","uuid":"u","from":"a","to":"b"})",
    };
    std::uint64_t events = 0;
    for (int round = 0; round < 400; ++round) {
        InboundDecoder d(DecoderConfig{8000, 1 + static_cast<std::uint32_t>(round % 2), 4096});
        for (int i = 0; i < 50; ++i) {
            std::vector<std::uint8_t> msg;
            if (rng() % 2 == 0) {
                const auto& s = seeds[rng() % std::size(seeds)];
                msg.assign(s.begin(), s.end());
                const int flips = 1 + static_cast<int>(rng() % 4);
                for (int f = 0; f < flips; ++f) {
                    msg[rng() % msg.size()] = static_cast<std::uint8_t>(rng());
                }
                if (rng() % 4 == 0) msg.resize(rng() % (msg.size() + 1));
            } else {
                msg.resize(rng() % 600);
                for (auto& b : msg) b = static_cast<std::uint8_t>(rng());
            }
            const auto& ev = d.decode(msg, rng() % 3 == 0);
            CHECK_UNARY(static_cast<int>(ev.kind) >= 0);
            CHECK_UNARY(static_cast<int>(ev.kind) <= 5);
            if (ev.kind == EventKind::audio) CHECK(ev.samples.size() <= 4096);
            if (ev.kind == EventKind::error) CHECK_FALSE(ev.error_message.empty());
            ++events;
        }
        d.close("drop");
    }
    CHECK(events == 400 * 50);
}
