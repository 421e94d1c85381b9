// Helpers shared by the audio tests: fixture loading and simple signal measurements.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace audio_test {

inline std::vector<std::uint8_t> read_bytes(const std::string& name) {
    std::ifstream f(std::string(ROB_TEST_DATA_DIR) + "/audio/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::vector<std::int16_t> read_s16(const std::string& name) {
    const auto b = read_bytes(name);
    std::vector<std::int16_t> s(b.size() / 2);
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<std::int16_t>(b[2 * i] | (b[2 * i + 1] << 8));
    return s;
}

inline std::vector<std::int16_t> tone(double hz, std::uint32_t rate, std::size_t n,
                                      double amplitude = 16000.0) {
    std::vector<std::int16_t> s(n);
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<std::int16_t>(std::lround(
            amplitude * std::sin(2.0 * std::numbers::pi * hz * static_cast<double>(i) / rate)));
    return s;
}

inline double rms(std::span<const std::int16_t> s) {
    if (s.empty()) return 0.0;
    double acc = 0.0;
    for (auto v : s) acc += static_cast<double>(v) * v;
    return std::sqrt(acc / static_cast<double>(s.size()));
}

// Amplitude of the component at `hz` (Goertzel over the whole span, Hann-free: pick spans that
// hold many periods so leakage is small).
inline double tone_amplitude(std::span<const std::int16_t> s, double hz, std::uint32_t rate) {
    const double w = 2.0 * std::numbers::pi * hz / rate;
    double re = 0.0;
    double im = 0.0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        re += s[i] * std::cos(w * static_cast<double>(i));
        im -= s[i] * std::sin(w * static_cast<double>(i));
    }
    return 2.0 * std::sqrt(re * re + im * im) / static_cast<double>(s.size());
}

// Frequency from the count of rising zero crossings over the span.
inline double zero_crossing_hz(std::span<const std::int16_t> s, std::uint32_t rate) {
    std::size_t first = 0;
    std::size_t last = 0;
    std::size_t count = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i - 1] < 0 && s[i] >= 0) {
            if (count == 0) first = i;
            last = i;
            ++count;
        }
    }
    if (count < 2) return 0.0;
    return static_cast<double>(count - 1) * rate / static_cast<double>(last - first);
}

}  // namespace audio_test
