#include <doctest/doctest.h>

#include <cstddef>
#include <span>
#include <vector>

#include "agent/caller_audio.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agent;

TEST_CASE("agent: caller audio cuts any message size into 20 ms frames at the line's rate") {
    CallerAudio in(8000);  // an STT that takes the stream's own 8 kHz
    const streamer::AudioFormat fmt{streamer::Encoding::l16, 8000, 1};
    std::vector<std::int16_t> msg(248, 100);  // 31 ms: frames do not line up with messages
    std::size_t frames = 0, stt = 0;
    for (int i = 0; i < 50; ++i) {
        REQUIRE(in.push(msg, fmt).ok());
        stt += in.stt_samples().size();
        std::span<const std::int16_t> f;
        while (in.next_vad_frame(f)) {
            CHECK(f.size() == 160);  // 20 ms at 8 kHz: nothing resampled for the VAD
            CHECK(f[0] == 100);
            ++frames;
        }
    }
    CHECK(stt == 50 * 248);           // the STT gets the stream as it is
    CHECK(frames == 50 * 248 / 160);  // 1.55 s of audio: 77 whole frames, none held back
    CHECK(in.vad_ms() == frames * 20);
    CHECK_FALSE(in.push(msg, streamer::AudioFormat{streamer::Encoding::l16, 8000, 0}).ok());
    CHECK_FALSE(in.push(msg, streamer::AudioFormat{streamer::Encoding::l16, 8010, 1}).ok());
}

TEST_CASE("agent: caller audio resamples only for an STT at another rate") {
    CallerAudio in(16000);
    const streamer::AudioFormat fmt{streamer::Encoding::l16, 8000, 2};
    std::vector<std::int16_t> msg(2 * 160);
    for (std::size_t i = 0; i < 160; ++i) {
        msg[2 * i] = 1000;     // the caller (left)
        msg[2 * i + 1] = -77;  // the bot (right): never heard by the VAD or the STT
    }
    std::size_t stt = 0, frames = 0;
    for (int i = 0; i < 100; ++i) {
        REQUIRE(in.push(msg, fmt).ok());
        stt += in.stt_samples().size();
        std::span<const std::int16_t> f;
        while (in.next_vad_frame(f)) {
            CHECK(f.size() == 160);
            CHECK(f[80] == 1000);
            ++frames;
        }
    }
    CHECK(frames == 100);
    // 2 s at 16 kHz, less the filter's held-back few milliseconds.
    CHECK(stt <= 32000);
    CHECK(stt >= 32000 - 16 * 5);
}
