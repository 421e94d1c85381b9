// Speech for the STT tests: flite's voice saying a phrase (optionally through the phone band),
// the low noise of a quiet line, the demo dialog, and feeding a stream the way the engine does.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"
#include "test_providers_util.hpp"

namespace providers_test {

inline std::string demo_dialog() {
    std::ifstream in(ROB_TEST_DATA_DIR "/../../examples/demo-dialog.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::vector<std::int16_t> resample(std::span<const std::int16_t> in, std::uint32_t from,
                                          std::uint32_t to) {
    auto r = ringoverbot::audio::Resampler::create(from, to);
    REQUIRE(r.ok());
    std::vector<std::int16_t> out;
    REQUIRE(r->process_append(in, out, true).ok());
    return out;
}

// flite's slt voice saying `text`, at 16 kHz; through the phone band (8 kHz mu-law) if asked.
inline std::vector<std::int16_t> speech(ringoverbot::providers::TtsProvider& tts,
                                        const std::string& text, bool phone_band) {
    auto sink = std::make_shared<TtsRecorder>();
    auto req = tts.synthesize({text, 16000, "slt"}, sink);
    REQUIRE(req.ok());
    REQUIRE(sink->wait());
    REQUIRE(sink->rate() == 16000);
    auto pcm = sink->audio();
    if (!phone_band) return pcm;
    auto narrow = resample(pcm, 16000, 8000);
    std::vector<std::uint8_t> ulaw(narrow.size());
    ringoverbot::audio::ulaw_encode(narrow, ulaw);
    ringoverbot::audio::ulaw_decode(ulaw, narrow);
    return resample(narrow, 8000, 16000);
}

// A quiet line: low noise rather than digital silence, as a phone line has.
inline std::vector<std::int16_t> line_noise(std::size_t n, std::uint32_t seed) {
    std::vector<std::int16_t> out(n);
    for (auto& s : out) {
        seed = seed * 1664525u + 1013904223u;
        s = static_cast<std::int16_t>(static_cast<int>(seed >> 24) % 41 - 20);
    }
    return out;
}

// Feeds 20 ms frames (at 16 kHz) the way the engine does.
inline void feed(ringoverbot::providers::SttStream& stream, std::span<const std::int16_t> pcm,
                 std::size_t frame = 320) {
    for (std::size_t at = 0; at < pcm.size(); at += frame)
        stream.send_audio(pcm.subspan(at, std::min(frame, pcm.size() - at)));
}

}  // namespace providers_test
