#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "ringoverbot.h"
#include "ringoverbot/streamer.hpp"

namespace {

rob_stream_event new_event() {
    rob_stream_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    return ev;
}

int feed_text(rob_stream_decoder* d, const std::string& s, rob_stream_event* ev) {
    return rob_stream_decoder_feed(d, reinterpret_cast<const uint8_t*>(s.data()), s.size(), 0, ev);
}

}  // namespace

TEST_CASE("streamer: C ABI decoder params and creation") {
    rob_stream_decoder_params p;
    std::memset(&p, 0xAB, sizeof p);
    rob_stream_decoder_params_init(&p, sizeof p);
    CHECK(p.struct_size == sizeof p);
    CHECK(p.default_sample_rate_hz == 8000);
    CHECK(p.default_channels == 1);
    CHECK(p.max_message_bytes == 1u << 20);
    CHECK(rob_struct_size(ROB_STRUCT_STREAM_DECODER_PARAMS) == sizeof(rob_stream_decoder_params));
    CHECK(rob_struct_size(ROB_STRUCT_STREAM_EVENT) == sizeof(rob_stream_event));

    rob_stream_decoder* d = nullptr;
    CHECK(rob_stream_decoder_create(nullptr, &d) == ROB_OK);
    REQUIRE(d != nullptr);
    rob_stream_decoder_destroy(d);
    rob_stream_decoder_destroy(nullptr);

    p.default_channels = 3;
    d = nullptr;
    CHECK(rob_stream_decoder_create(&p, &d) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(d == nullptr);
    p.default_channels = 1;
    p.default_sample_rate_hz = 7000;
    CHECK(rob_stream_decoder_create(&p, &d) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_decoder_create(&p, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    p.default_sample_rate_hz = 16000;
    p.default_channels = 2;
    REQUIRE(rob_stream_decoder_create(&p, &d) == ROB_OK);
    rob_stream_event ev = new_event();
    const uint8_t frame[8] = {1, 0, 2, 0, 3, 0, 4, 0};
    REQUIRE(rob_stream_decoder_feed(d, frame, sizeof frame, 1, &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_AUDIO);
    CHECK(ev.sample_rate_hz == 16000);
    CHECK(ev.channels == 2);
    rob_stream_decoder_destroy(d);
}

TEST_CASE("streamer: C ABI decoder events") {
    rob_stream_decoder* d = nullptr;
    REQUIRE(rob_stream_decoder_create(nullptr, &d) == ROB_OK);
    rob_stream_event ev = new_event();

    const std::string start =
        R"({"event":"call_start","call_id":18446744073709551615,"from_number":"33612345678",)"
        R"("to_number":"33187654321","direction":"inbound","audio":{"encoding":"PCMU"}})";
    REQUIRE(feed_text(d, start, &ev) == ROB_OK);
    CHECK(ev.struct_size == sizeof ev);
    CHECK(ev.kind == ROB_EVT_METADATA);
    CHECK(ev.dialect == ROB_DIALECT_JSON);
    REQUIRE(ev.call_id != nullptr);
    CHECK(std::string(ev.call_id) == "18446744073709551615");
    CHECK(ev.channel_id == nullptr);
    CHECK(std::string(ev.from_number) == "33612345678");
    CHECK(std::string(ev.to_number) == "33187654321");
    CHECK(std::string(ev.direction) == "inbound");
    REQUIRE(ev.raw != nullptr);
    CHECK(ev.raw_len == start.size());
    CHECK(std::string(ev.raw) == start);
    CHECK(ev.encoding == ROB_ENC_PCMU);

    const std::string audio = R"({"event":"audio_data","data":{"audioData":"AID/fw=="}})";
    REQUIRE(feed_text(d, audio, &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_AUDIO);
    CHECK(ev.call_id == nullptr);
    CHECK(ev.raw == nullptr);
    REQUIRE(ev.sample_count == 4);
    CHECK(ev.samples[0] == -32124);
    CHECK(ev.samples[1] == 32124);
    CHECK(ev.encoding == ROB_ENC_PCMU);
    CHECK(ev.sample_rate_hz == 8000);

    REQUIRE(feed_text(d, R"({"event":"dtmf","digit":"#"})", &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_DTMF);
    CHECK(ev.digit == '#');

    REQUIRE(feed_text(d, "not json", &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_ERROR);
    CHECK(ev.error_code == ROB_ERR_BAD_JSON);
    REQUIRE(ev.error_message != nullptr);
    CHECK(std::strlen(ev.error_message) > 0);

    REQUIRE(feed_text(d, R"({"event":"unknown"})", &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_NONE);

    // an empty binary message with a NULL pointer is allowed (and ignored)
    REQUIRE(rob_stream_decoder_feed(d, nullptr, 0, 1, &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_NONE);
    CHECK(rob_stream_decoder_feed(d, nullptr, 4, 1, &ev) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_decoder_feed(nullptr, nullptr, 0, 1, &ev) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_decoder_feed(d, nullptr, 0, 1, nullptr) == ROB_ERR_INVALID_ARGUMENT);

    REQUIRE(rob_stream_decoder_close(d, nullptr, &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_END);
    REQUIRE(ev.reason != nullptr);
    CHECK(std::string(ev.reason) == "close");
    REQUIRE(rob_stream_decoder_close(d, "disconnect", &ev) == ROB_OK);
    CHECK(ev.kind == ROB_EVT_NONE);
    CHECK(ev.reason == nullptr);

    uint64_t messages = 0, errors = 0, ignored = 0;
    rob_stream_decoder_stats(d, &messages, &errors, &ignored);
    CHECK(messages == 6);
    CHECK(errors == 1);
    CHECK(ignored == 2);
    rob_stream_decoder_stats(d, nullptr, nullptr, nullptr);
    rob_stream_decoder_stats(nullptr, &messages, nullptr, nullptr);
    CHECK(messages == 0);
    rob_stream_decoder_destroy(d);
}

TEST_CASE("streamer: C ABI event of an older, smaller size is not overrun") {
    rob_stream_decoder* d = nullptr;
    REQUIRE(rob_stream_decoder_create(nullptr, &d) == ROB_OK);
    rob_stream_event ev;
    std::memset(&ev, 0x5C, sizeof ev);
    ev.struct_size = offsetof(rob_stream_event, samples);
    const uint8_t frame[4] = {1, 0, 2, 0};
    REQUIRE(rob_stream_decoder_feed(d, frame, sizeof frame, 1, &ev) == ROB_OK);
    CHECK(ev.struct_size == offsetof(rob_stream_event, samples));
    CHECK(ev.kind == ROB_EVT_AUDIO);
    CHECK(ev.dialect == ROB_DIALECT_BINARY);
    const auto* tail =
        reinterpret_cast<const unsigned char*>(&ev) + offsetof(rob_stream_event, samples);
    for (std::size_t i = 0; i < sizeof ev - offsetof(rob_stream_event, samples); ++i) {
        CHECK(tail[i] == 0x5C);
    }
    ev.struct_size = 2;
    CHECK(rob_stream_decoder_feed(d, frame, sizeof frame, 1, &ev) == ROB_ERR_INVALID_ARGUMENT);
    rob_stream_decoder_destroy(d);
}

TEST_CASE("streamer: C ABI encoders write into the caller's buffer") {
    char buf[256];
    size_t len = 0;
    REQUIRE(rob_stream_encode_play("https://host/prompt.mp3", buf, sizeof buf, &len) == ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"play","file":"https://host/prompt.mp3"})");
    CHECK(buf[len] == '\0');
    REQUIRE(rob_stream_encode_break(buf, sizeof buf, &len) == ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"break"})");

    // too small: the size needed comes back, nothing is written past the capacity
    char small[8];
    std::memset(small, 'z', sizeof small);
    CHECK(rob_stream_encode_break(small, sizeof small, &len) == ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 17);
    CHECK(small[0] == 'z');
    CHECK(rob_stream_encode_break(nullptr, 0, &len) == ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 17);
    char exact[17];
    REQUIRE(rob_stream_encode_break(exact, sizeof exact, &len) == ROB_OK);
    CHECK(std::string(exact, len) == R"({"event":"break"})");
    CHECK(rob_stream_encode_break(buf, sizeof buf, nullptr) == ROB_ERR_INVALID_ARGUMENT);

    REQUIRE(rob_stream_encode_digits("123", ROB_NUMBER_AUTO, buf, sizeof buf, &len) == ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"digits","data":123})");
    REQUIRE(rob_stream_encode_digits("123", ROB_NUMBER_STRING, buf, sizeof buf, &len) == ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"digits","data":"123"})");
    CHECK(rob_stream_encode_digits("12a", ROB_NUMBER_AUTO, buf, sizeof buf, &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_digits("1", 2, buf, sizeof buf, &len) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_digits("1", 0x200, buf, sizeof buf, &len) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_digits(nullptr, 0, buf, sizeof buf, &len) == ROB_ERR_INVALID_ARGUMENT);
    REQUIRE(rob_stream_encode_transfer("+33612345678", ROB_NUMBER_AUTO, buf, sizeof buf, &len) ==
            ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"transfer","data":33612345678})");
    REQUIRE(rob_stream_encode_transfer("+33612345678", ROB_NUMBER_AUTO | ROB_NUMBER_KEEP_PLUS, buf,
                                       sizeof buf, &len) == ROB_OK);
    CHECK(std::string(buf, len) == R"({"event":"transfer","data":"+33612345678"})");
    CHECK(rob_stream_encode_play("", buf, sizeof buf, &len) == ROB_ERR_INVALID_ARGUMENT);
}

TEST_CASE("streamer: C ABI streamAudio matches the C++ encoder") {
    std::vector<int16_t> pcm;
    for (int i = 0; i < 1603; ++i) pcm.push_back(static_cast<int16_t>(i * 37 - 30000));
    ringoverbot::streamer::OutboundEncoder enc;
    auto expected = enc.stream_audio(pcm, 16000);
    REQUIRE(expected.ok());

    size_t len = 0;
    CHECK(rob_stream_encode_audio_pcm(pcm.data(), pcm.size(), 16000, nullptr, 0, &len) ==
          ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(len == expected->size());
    const size_t bound = rob_stream_audio_message_bound(pcm.size() * 2);
    CHECK(bound >= expected->size());
    std::vector<char> out(bound);
    REQUIRE(rob_stream_encode_audio_pcm(pcm.data(), pcm.size(), 16000, out.data(), out.size(),
                                        &len) == ROB_OK);
    CHECK(std::string_view(out.data(), len) == *expected);

    const std::string tiny =
        R"({"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":"AAABAP///38AgOgDGPw="}})";
    const int16_t seven[] = {0, 1, -1, 32767, -32768, 1000, -1000};
    REQUIRE(rob_stream_encode_audio_pcm(seven, 7, 8000, out.data(), out.size(), &len) == ROB_OK);
    CHECK(std::string_view(out.data(), len) == tiny);

    const uint8_t riff[] = {'R', 'I', 'F', 'F'};
    REQUIRE(rob_stream_encode_audio_bytes(ROB_AUDIO_WAV, riff, 4, 24000, out.data(), out.size(),
                                          &len) == ROB_OK);
    CHECK(
        std::string_view(out.data(), len) ==
        R"({"type":"streamAudio","data":{"audioDataType":"wav","sampleRate":24000,"audioData":"UklGRg=="}})");

    CHECK(rob_stream_encode_audio_pcm(seven, 7, 44100, out.data(), out.size(), &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_audio_pcm(seven, 0, 8000, out.data(), out.size(), &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_audio_bytes(ROB_AUDIO_RAW, riff, 3, 8000, out.data(), out.size(),
                                        &len) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_audio_bytes(9, riff, 4, 8000, out.data(), out.size(), &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stream_encode_audio_bytes(ROB_AUDIO_MP3, nullptr, 4, 8000, out.data(), out.size(),
                                        &len) == ROB_ERR_INVALID_ARGUMENT);
}
