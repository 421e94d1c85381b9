// WAV files come from users and from TTS services: the parser must stay in bounds on any bytes.
#include <cstdint>
#include <span>

#include "ringoverbot/audio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto wav = ringoverbot::audio::parse_wav(std::span(data, size));
    if (wav && wav->channels == 0) __builtin_trap();
    return 0;
}
