// Plain PCM helpers. Every function converts min(input, output capacity) and reports the count,
// so a short buffer truncates instead of overrunning.
#include <cmath>
#include <cstdint>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

std::size_t min_size(std::size_t a, std::size_t b) {
    return a < b ? a : b;
}

std::int16_t saturate(float x) noexcept {
    if (!(x == x)) return 0;  // NaN
    if (x >= 32767.0f) return 32767;
    if (x <= -32768.0f) return -32768;
    return static_cast<std::int16_t>(std::lrintf(x));
}

}  // namespace

std::size_t s16_to_float(std::span<const std::int16_t> in, std::span<float> out) noexcept {
    const std::size_t n = min_size(in.size(), out.size());
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
    return n;
}

std::size_t float_to_s16(std::span<const float> in, std::span<std::int16_t> out) noexcept {
    const std::size_t n = min_size(in.size(), out.size());
    for (std::size_t i = 0; i < n; ++i) out[i] = saturate(in[i] * 32768.0f);
    return n;
}

std::size_t stereo_to_mono(std::span<const std::int16_t> stereo,
                           std::span<std::int16_t> mono) noexcept {
    const std::size_t n = min_size(stereo.size() / 2, mono.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int sum = int{stereo[2 * i]} + int{stereo[2 * i + 1]};
        mono[i] = static_cast<std::int16_t>(sum >> 1);  // floor: stays within -32768..32767
    }
    return n;
}

std::size_t extract_channel(std::span<const std::int16_t> interleaved, unsigned channels,
                            unsigned channel, std::span<std::int16_t> mono) noexcept {
    if (channels == 0 || channel >= channels) return 0;
    const std::size_t n = min_size(interleaved.size() / channels, mono.size());
    for (std::size_t i = 0; i < n; ++i) mono[i] = interleaved[i * channels + channel];
    return n;
}

std::size_t mono_to_stereo(std::span<const std::int16_t> mono,
                           std::span<std::int16_t> stereo) noexcept {
    const std::size_t n = min_size(mono.size(), stereo.size() / 2);
    for (std::size_t i = 0; i < n; ++i) stereo[2 * i] = stereo[2 * i + 1] = mono[i];
    return 2 * n;
}

std::size_t s16le_to_samples(std::span<const std::uint8_t> bytes,
                             std::span<std::int16_t> out) noexcept {
    const std::size_t n = min_size(bytes.size() / 2, out.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto u = static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
        out[i] = static_cast<std::int16_t>(u);
    }
    return n;
}

std::size_t samples_to_s16le(std::span<const std::int16_t> in,
                             std::span<std::uint8_t> bytes) noexcept {
    const std::size_t n = min_size(in.size(), bytes.size() / 2);
    for (std::size_t i = 0; i < n; ++i) {
        const auto u = static_cast<std::uint16_t>(in[i]);
        bytes[2 * i] = static_cast<std::uint8_t>(u & 0xFF);
        bytes[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
    }
    return n;
}

void apply_gain(std::span<std::int16_t> samples, float gain) noexcept {
    for (auto& s : samples) s = saturate(static_cast<float>(s) * gain);
}

float db_to_gain(float db) noexcept {
    return std::pow(10.0f, db / 20.0f);
}

}  // namespace ringoverbot::audio
