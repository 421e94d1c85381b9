// A synthetic speakerphone for the echo canceller's tests and bench: the bot's audio comes back
// into the caller's line `delay_ms` later, through a short room response, `return_loss_db`
// quieter, over the caller's own speech and a faint line noise. Also a speech-like test signal
// (noise shaped by moving formants, in syllables and pauses) and the ERLE measure.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rob_test {

// A deterministic speech-like signal at about `dbfs` while voiced: 4 syllables a second, a
// pause every ~1.5 s, two formants that move per syllable.
inline std::vector<std::int16_t> speech_like(std::size_t n, std::uint32_t rate, std::uint32_t seed,
                                             double dbfs) {
    std::vector<double> raw(n);
    std::uint32_t s = seed * 2654435761u + 1;
    auto rnd = [&] {
        s = s * 1664525u + 1013904223u;
        return static_cast<double>(s >> 8) / 16777216.0 * 2.0 - 1.0;
    };
    const double pi = 3.14159265358979;
    double y1 = 0, y2 = 0, z1 = 0, z2 = 0, a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    const std::size_t syllable = rate / 4;
    double amp = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % syllable == 0) {
            const double f1 = 300 + 500 * (rnd() + 1) / 2, f2 = 900 + 1500 * (rnd() + 1) / 2;
            const double r = 0.97;
            a1 = 2 * r * std::cos(2 * pi * f1 / rate);
            a2 = -r * r;
            b1 = 2 * r * std::cos(2 * pi * f2 / rate);
            b2 = -r * r;
            const bool pause = (i / syllable) % 6 == 5;
            amp = pause ? 0 : 0.6 + 0.4 * (rnd() + 1) / 2;
        }
        const double phase = double(i % syllable) / double(syllable);
        const double env = amp * std::sin(pi * phase);
        const double x = rnd();
        const double y = x + a1 * y1 + a2 * y2;
        y2 = y1;
        y1 = y;
        const double z = y + b1 * z1 + b2 * z2;
        z2 = z1;
        z1 = z;
        raw[i] = z * env;
    }
    // The voiced RMS at `dbfs`.
    double e = 0;
    std::size_t voiced = 0;
    for (double v : raw)
        if (v != 0) e += v * v, ++voiced;
    const double rms = voiced ? std::sqrt(e / double(voiced)) : 1;
    const double gain = 32767 * std::pow(10, dbfs / 20) / std::max(rms, 1e-9);
    std::vector<std::int16_t> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<std::int16_t>(std::clamp(raw[i] * gain, -32767.0, 32767.0));
    return out;
}

struct EchoPath {
    std::uint32_t rate_hz = 8000;
    std::uint32_t delay_ms = 100;
    double return_loss_db = 6;  // the echo is this much quieter than the bot's audio
    double noise_dbfs = -70;    // line noise under everything

    // The echo alone of `played` (same length): delayed, through a short decaying room
    // response (direct path, reflections over ~15 ms), attenuated.
    std::vector<double> echo_of(std::span<const std::int16_t> played) const {
        const std::size_t d = std::size_t{rate_hz} * delay_ms / 1000;
        const std::size_t taps = rate_hz * 15 / 1000;
        std::vector<double> h(taps, 0.0);
        h[0] = 1.0;
        std::uint32_t s = 12345;
        for (std::size_t k = 1; k < taps; ++k) {
            s = s * 1664525u + 1013904223u;
            const double r = static_cast<double>(s >> 8) / 16777216.0 * 2.0 - 1.0;
            h[k] = 0.5 * r * std::exp(-double(k) / (rate_hz * 0.004));
        }
        double norm = 0;
        for (double v : h) norm += v * v;
        const double g = std::pow(10, -return_loss_db / 20) / std::sqrt(norm);
        std::vector<double> echo(played.size(), 0.0);
        for (std::size_t i = d; i < played.size(); ++i) {
            double acc = 0;
            for (std::size_t k = 0; k < taps && k + d <= i; ++k) acc += h[k] * played[i - d - k];
            echo[i] = g * acc;
        }
        return echo;
    }

    // The caller's line: echo + the caller's own speech (may be empty) + noise.
    std::vector<std::int16_t> line(std::span<const double> echo, std::span<const std::int16_t> near,
                                   std::uint32_t seed = 7) const {
        std::vector<std::int16_t> out(echo.size());
        std::uint32_t s = seed;
        const double noise = 32767 * std::pow(10, noise_dbfs / 20) * std::sqrt(3.0);
        for (std::size_t i = 0; i < out.size(); ++i) {
            s = s * 1664525u + 1013904223u;
            const double r = static_cast<double>(s >> 8) / 16777216.0 * 2.0 - 1.0;
            const double v = echo[i] + (i < near.size() ? near[i] : 0) + noise * r;
            out[i] = static_cast<std::int16_t>(std::clamp(std::round(v), -32767.0, 32767.0));
        }
        return out;
    }
};

// Echo return loss enhancement (dB) over [from, to): the echo's energy over the energy of what
// is left of it in the cancelled line (the cancelled line less the caller's own speech).
inline double erle_db(std::span<const double> echo, std::span<const std::int16_t> cancelled,
                      std::span<const std::int16_t> near, std::size_t from, std::size_t to) {
    double e = 0, r = 0;
    for (std::size_t i = from; i < to && i < cancelled.size(); ++i) {
        e += echo[i] * echo[i];
        const double left = double(cancelled[i]) - (i < near.size() ? near[i] : 0);
        r += left * left;
    }
    return 10 * std::log10((e + 1e-9) / (r + 1e-9));
}

}  // namespace rob_test
