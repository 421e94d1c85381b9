#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ringoverbot.h"
#include "test_audio_util.hpp"

TEST_CASE("audio: capi g711 both ways, with argument checks") {
    const int16_t pcm[4] = {0, -1, 32767, -32768};
    uint8_t law[4] = {};
    REQUIRE(rob_g711_encode(ROB_LAW_ULAW, pcm, 4, law) == ROB_OK);
    CHECK(law[0] == 0xFF);
    CHECK(law[1] == 0x7E);
    CHECK(law[2] == 0x80);
    CHECK(law[3] == 0x00);
    int16_t back[4] = {};
    REQUIRE(rob_g711_decode(ROB_LAW_ULAW, law, 4, back) == ROB_OK);
    CHECK(back[2] == 32124);
    REQUIRE(rob_g711_encode(ROB_LAW_ALAW, pcm, 4, law) == ROB_OK);
    CHECK(law[0] == 0xD5);
    CHECK(law[2] == 0xAA);
    REQUIRE(rob_g711_decode(ROB_LAW_ALAW, law, 4, back) == ROB_OK);
    CHECK(back[0] == 8);
    CHECK(back[3] == -32256);
    CHECK(rob_g711_encode(7, pcm, 4, law) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_g711_encode(ROB_LAW_ULAW, nullptr, 4, law) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_g711_decode(ROB_LAW_ULAW, law, 4, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_g711_encode(ROB_LAW_ULAW, nullptr, 0, nullptr) == ROB_OK);
}

TEST_CASE("audio: capi resampler streams, refuses short buffers, resets") {
    rob_resampler* r = nullptr;
    CHECK(rob_resampler_create(8000, 16000, 1, 9, &r) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_resampler_create(0, 16000, 1, ROB_RESAMPLE_SINC_FASTEST, &r) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_resampler_create(8000, 16000, 1, 0, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(r == nullptr);
    REQUIRE(rob_resampler_create(8000, 16000, 1, ROB_RESAMPLE_SINC_FASTEST, &r) == ROB_OK);
    REQUIRE(r != nullptr);
    const std::size_t cap = rob_resampler_max_output(r, 160);
    CHECK(cap >= 320);
    CHECK(cap < 420);
    CHECK(rob_resampler_max_output(nullptr, 160) == 0);
    const auto in = audio_test::tone(1000.0, 8000, 8000);
    std::vector<int16_t> out(cap);
    std::vector<int16_t> all;
    for (std::size_t pos = 0; pos < in.size(); pos += 160) {
        std::size_t got = 0;
        const int last = pos + 160 == in.size();
        REQUIRE(rob_resampler_process(r, in.data() + pos, 160, out.data(), cap, &got, last) ==
                ROB_OK);
        all.insert(all.end(), out.begin(), out.begin() + static_cast<long>(got));
    }
    CHECK(std::abs(static_cast<long>(all.size()) - 16000) <= 2);
    CHECK(audio_test::zero_crossing_hz(std::span(all).subspan(1600, 12800), 16000) ==
          doctest::Approx(1000.0).epsilon(0.001));

    std::size_t need = 0;
    CHECK(rob_resampler_process(r, in.data(), 160, out.data(), 10, &need, 0) ==
          ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(need >= 320);
    CHECK(rob_resampler_process(r, nullptr, 160, out.data(), cap, &need, 0) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_resampler_process(r, in.data(), 160, out.data(), cap, nullptr, 0) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_resampler_process(nullptr, in.data(), 160, out.data(), cap, &need, 0) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_resampler_reset(r) == ROB_OK);
    CHECK(rob_resampler_reset(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    // Flush with no input.
    std::size_t got = 99;
    CHECK(rob_resampler_process(r, nullptr, 0, out.data(), cap, &got, 1) == ROB_OK);
    CHECK(got == 0);
    rob_resampler_destroy(r);
    rob_resampler_destroy(nullptr);
}

TEST_CASE("audio: capi opus encode, decode, concealment and errors") {
    rob_opus_encoder* e = nullptr;
    rob_opus_decoder* d = nullptr;
    CHECK(rob_opus_encoder_create(22050, 1, 0, &e) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_opus_decoder_create(22050, 1, &d) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_opus_encoder_create(16000, 1, 0, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    REQUIRE(rob_opus_encoder_create(16000, 1, 24000, &e) == ROB_OK);
    REQUIRE(rob_opus_decoder_create(16000, 1, &d) == ROB_OK);
    const auto pcm = audio_test::tone(440.0, 16000, 320);
    uint8_t packet[1275];
    std::size_t len = 0;
    REQUIRE(rob_opus_encode(e, pcm.data(), 320, packet, sizeof packet, &len) == ROB_OK);
    CHECK(len > 0);
    CHECK(rob_opus_encode(e, pcm.data(), 240, packet, sizeof packet, &len) ==
          ROB_ERR_INVALID_ARGUMENT);  // 15 ms
    CHECK(rob_opus_encode(e, nullptr, 320, packet, sizeof packet, &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    std::vector<int16_t> out(960);
    std::size_t frames = 0;
    REQUIRE(rob_opus_decode(d, packet, len, out.data(), out.size(), &frames) == ROB_OK);
    CHECK(frames == 320);
    REQUIRE(rob_opus_decode(d, nullptr, 0, out.data(), out.size(), &frames) == ROB_OK);
    CHECK(frames == 320);
    CHECK(rob_opus_decode(d, packet, len, out.data(), 100, &frames) == ROB_ERR_BUFFER_TOO_SMALL);
    const uint8_t garbage[] = {0xFF, 0xFF, 0xFF};
    CHECK(rob_opus_decode(d, garbage, sizeof garbage, out.data(), out.size(), &frames) ==
          ROB_ERR_CODEC);
    CHECK(rob_opus_decode(d, packet, len, nullptr, 960, &frames) == ROB_ERR_INVALID_ARGUMENT);
    rob_opus_encoder_destroy(e);
    rob_opus_decoder_destroy(d);
    rob_opus_encoder_destroy(nullptr);
    rob_opus_decoder_destroy(nullptr);
}

TEST_CASE("audio: capi wav in memory and on disk") {
    const auto src = audio_test::tone(440.0, 8000, 400);
    uint8_t* file = nullptr;
    std::size_t file_len = 0;
    REQUIRE(rob_wav_write_memory(src.data(), src.size(), 8000, 1, &file, &file_len) == ROB_OK);
    CHECK(file_len == 44 + 800);
    int16_t* samples = nullptr;
    std::size_t count = 0;
    uint32_t rate = 0;
    uint32_t channels = 0;
    REQUIRE(rob_wav_read_memory(file, file_len, &samples, &count, &rate, &channels) == ROB_OK);
    CHECK(count == 400);
    CHECK(rate == 8000);
    CHECK(channels == 1);
    CHECK(std::memcmp(samples, src.data(), 800) == 0);
    rob_free(samples);
    CHECK(rob_wav_read_memory(file, 30, &samples, &count, &rate, &channels) == ROB_ERR_BAD_WAV);
    CHECK(rob_wav_read_memory(nullptr, 10, &samples, &count, nullptr, nullptr) ==
          ROB_ERR_INVALID_ARGUMENT);
    rob_free(file);

    const std::string path = std::string(ROB_TEST_TMP_DIR) + "/audio_capi.wav";
    REQUIRE(rob_wav_write_file(path.c_str(), src.data(), src.size(), 16000, 2) == ROB_OK);
    samples = nullptr;
    REQUIRE(rob_wav_read_file(path.c_str(), &samples, &count, nullptr, &channels) == ROB_OK);
    CHECK(count == 400);
    CHECK(channels == 2);
    rob_free(samples);
    std::remove(path.c_str());
    CHECK(rob_wav_write_file(path.c_str(), src.data(), 3, 8000, 2) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_wav_read_file((path + ".missing").c_str(), &samples, &count, nullptr, nullptr) ==
          ROB_ERR_IO);
    const std::string sox = std::string(ROB_TEST_DATA_DIR) + "/audio/wav_ulaw.wav";
    REQUIRE(rob_wav_read_file(sox.c_str(), &samples, &count, &rate, &channels) == ROB_OK);
    CHECK(count == 1600);
    rob_free(samples);
}

TEST_CASE("audio: capi dtmf generate and detect") {
    std::size_t n = 0;
    CHECK(rob_dtmf_generate('5', 8000, 100, nullptr, 0, &n) == ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 800);
    CHECK(rob_dtmf_generate('x', 8000, 100, nullptr, 0, &n) == ROB_ERR_INVALID_ARGUMENT);
    std::vector<int16_t> pcm(800 * 4 + 400 * 4, 0);
    std::size_t at = 0;
    for (char key : std::string("#5A0")) {
        REQUIRE(rob_dtmf_generate(key, 8000, 100, pcm.data() + at, 800, &n) == ROB_OK);
        CHECK(n == 800);
        at += 800 + 400;
    }
    rob_dtmf_detector* d = nullptr;
    CHECK(rob_dtmf_detector_create(100, &d) == ROB_ERR_INVALID_ARGUMENT);
    REQUIRE(rob_dtmf_detector_create(8000, &d) == ROB_OK);
    // A two-key buffer: the others stay queued for the next calls.
    char digits[2];
    std::size_t got = 0;
    REQUIRE(rob_dtmf_detector_feed(d, pcm.data(), pcm.size(), digits, 2, &got) == ROB_OK);
    CHECK(got == 2);
    CHECK(std::string(digits, 2) == "#5");
    REQUIRE(rob_dtmf_detector_feed(d, nullptr, 0, digits, 2, &got) == ROB_OK);
    CHECK(got == 2);
    CHECK(std::string(digits, 2) == "A0");
    REQUIRE(rob_dtmf_detector_feed(d, nullptr, 0, digits, 2, &got) == ROB_OK);
    CHECK(got == 0);
    CHECK(rob_dtmf_detector_feed(d, nullptr, 5, digits, 2, &got) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_dtmf_detector_feed(d, pcm.data(), 5, nullptr, 2, &got) == ROB_ERR_INVALID_ARGUMENT);
    rob_dtmf_detector_destroy(d);
    rob_dtmf_detector_destroy(nullptr);
}
