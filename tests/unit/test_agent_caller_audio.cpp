#include <doctest/doctest.h>

#include <cstddef>
#include <span>
#include <vector>

#include "agent/caller_audio.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agent;

TEST_CASE("agent: caller audio cuts any message size into 20 ms frames at 16 kHz") {
    CallerAudio in(8000);  // an STT that takes the stream's own 8 kHz
    const streamer::AudioFormat fmt{streamer::Encoding::l16, 8000, 1};
    std::vector<std::int16_t> msg(248, 100);  // 31 ms: frames do not line up with messages
    std::size_t frames = 0, stt = 0;
    for (int i = 0; i < 50; ++i) {
        REQUIRE(in.push(msg, fmt).ok());
        stt += in.stt_samples().size();
        std::span<const std::int16_t> f;
        while (in.next_vad_frame(f)) {
            CHECK(f.size() == CallerAudio::kFrameSamples);
            ++frames;
        }
    }
    CHECK(stt == 50 * 248);  // the STT gets the stream as it is
    // 1.55 s of audio: 77 whole frames, less the resampler's held-back few milliseconds.
    CHECK(frames >= 76);
    CHECK(frames <= 77);
    CHECK(in.vad_ms() == frames * 20);
    CHECK_FALSE(in.push(msg, streamer::AudioFormat{streamer::Encoding::l16, 8000, 0}).ok());
}
