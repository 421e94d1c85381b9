#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "test_audio_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::audio;

namespace {

std::size_t ms(std::uint32_t rate, double millis) {
    return static_cast<std::size_t>(rate * millis / 1000.0);
}

void append_silence(std::vector<std::int16_t>& v, std::size_t n) {
    v.insert(v.end(), n, 0);
}

void append_key(std::vector<std::int16_t>& v, char key, std::uint32_t rate, double millis,
                float level = -10.0f) {
    std::vector<std::int16_t> t(ms(rate, millis));
    REQUIRE(dtmf_generate(key, rate, t, level).ok());
    v.insert(v.end(), t.begin(), t.end());
}

// Two tones with separate levels (dBFS peak), for twist tests.
std::vector<std::int16_t> pair(double row_hz, double col_hz, double row_db, double col_db,
                               std::uint32_t rate, std::size_t n) {
    std::vector<std::int16_t> v(n);
    const double ar = 32767.0 * std::pow(10.0, row_db / 20.0);
    const double ac = 32767.0 * std::pow(10.0, col_db / 20.0);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        v[i] = static_cast<std::int16_t>(
            std::lround(ar * std::sin(2 * std::numbers::pi * row_hz * t) +
                        ac * std::sin(2 * std::numbers::pi * col_hz * t)));
    }
    return v;
}

// Feeds `pcm` in chunks of varying sizes; returns every key reported.
std::string detect(std::uint32_t rate, const std::vector<std::int16_t>& pcm, unsigned seed = 1) {
    auto d = DtmfDetector::create(rate);
    REQUIRE(d.ok());
    std::mt19937 rng(seed);
    std::string keys;
    std::size_t pos = 0;
    while (pos < pcm.size()) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 400, pcm.size() - pos);
        d->feed(std::span(pcm).subspan(pos, n), keys);
        pos += n;
    }
    return keys;
}

// A crude voiced-speech imitation: a glottal pulse train with a gliding pitch through three
// moving formant resonators, plus breath noise. Rich in harmonics, like the talk-off case.
std::vector<std::int16_t> speech_like(std::uint32_t rate, double seconds, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    const auto n = static_cast<std::size_t>(rate * seconds);
    std::vector<std::int16_t> out(n);
    double phase = 0.0;
    double y[3][2] = {};
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double f0 = 110.0 + 60.0 * std::sin(2 * std::numbers::pi * 0.7 * t) +
                          30.0 * std::sin(2 * std::numbers::pi * 3.1 * t);
        phase += f0 / rate;
        double x = 0.0;
        if (phase >= 1.0) {
            phase -= 1.0;
            x = 1.0;
        }
        x += 0.02 * noise(rng);
        const double formants[3] = {500.0 + 300.0 * std::sin(2 * std::numbers::pi * 1.3 * t),
                                    1400.0 + 500.0 * std::sin(2 * std::numbers::pi * 0.9 * t),
                                    2500.0};
        double s = 0.0;
        for (int k = 0; k < 3; ++k) {
            const double r = 0.97;
            const double w = 2 * std::numbers::pi * formants[k] / rate;
            const double v = x + 2 * r * std::cos(w) * y[k][0] - r * r * y[k][1];
            y[k][1] = y[k][0];
            y[k][0] = v;
            s += v / (k + 1);
        }
        // Syllable envelope: 4 syllables per second.
        const double env = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * 4.0 * t);
        out[i] = static_cast<std::int16_t>(std::clamp(s * env * 3000.0, -32768.0, 32767.0));
    }
    return out;
}

}  // namespace

TEST_CASE("audio: dtmf every key is detected exactly once at 8 and 16 kHz") {
    const std::string all = "123A456B789C*0#D";
    for (std::uint32_t rate : {8000u, 16000u}) {
        for (char key : all) {
            CAPTURE(rate);
            CAPTURE(key);
            std::vector<std::int16_t> pcm;
            append_silence(pcm, ms(rate, 30));
            append_key(pcm, key, rate, 100);
            append_silence(pcm, ms(rate, 100));
            CHECK(detect(rate, pcm, static_cast<unsigned>(key)) == std::string(1, key));
        }
    }
    float r = 0;
    float c = 0;
    REQUIRE(dtmf_frequencies('0', r, c));
    CHECK(r == 941.0f);
    CHECK(c == 1336.0f);
    REQUIRE(dtmf_frequencies('d', r, c));
    CHECK(c == 1633.0f);
    CHECK_FALSE(dtmf_valid_digit('x'));
    CHECK_FALSE(dtmf_valid_digit('\0'));
}

TEST_CASE("audio: dtmf a sequence with 60 ms gaps comes out in order") {
    for (std::uint32_t rate : {8000u, 16000u}) {
        CAPTURE(rate);
        std::vector<std::int16_t> pcm;
        append_silence(pcm, ms(rate, 60));
        for (char key : std::string("1234#*0")) {
            append_key(pcm, key, rate, 60);
            append_silence(pcm, ms(rate, 60));
        }
        CHECK(detect(rate, pcm) == "1234#*0");
        CHECK(detect(rate, pcm, 99) == "1234#*0");
    }
}

TEST_CASE("audio: dtmf one report per press, repeats need a gap, short blips are ignored") {
    const std::uint32_t rate = 8000;
    std::vector<std::int16_t> held;
    append_key(held, '5', rate, 1500);  // a long press
    CHECK(detect(rate, held) == "5");

    std::vector<std::int16_t> twice;
    append_key(twice, '5', rate, 80);
    append_silence(twice, ms(rate, 50));
    append_key(twice, '5', rate, 80);
    CHECK(detect(rate, twice) == "55");

    std::vector<std::int16_t> blip;
    append_key(blip, '9', rate, 20);  // shorter than Q.24's 23 ms minimum
    append_silence(blip, ms(rate, 100));
    append_key(blip, '7', rate, 40);  // 40 ms must be accepted
    append_silence(blip, ms(rate, 50));
    CHECK(detect(rate, blip) == "7");

    // The detector forgets a half-seen press on reset().
    auto d = DtmfDetector::create(rate);
    REQUIRE(d.ok());
    CHECK(d->block_size() == 102);
    std::string keys;
    d->feed(std::span(held).first(ms(rate, 15)), keys);
    d->reset();
    d->feed(std::span(held).first(ms(rate, 15)), keys);
    CHECK(keys.empty());
    CHECK(DtmfDetector::create(4000).code() == Errc::invalid_argument);
    std::vector<std::int16_t> buf(10);
    CHECK(dtmf_generate('x', 8000, buf).code() == Errc::invalid_argument);
    CHECK(dtmf_generate('1', 0, buf).code() == Errc::invalid_argument);
}

TEST_CASE("audio: dtmf silence, single tones, noise and speech-like sound give nothing") {
    const std::uint32_t rate = 8000;
    CHECK(detect(rate, std::vector<std::int16_t>(rate, 0)).empty());
    for (double hz : {697.0, 941.0, 1209.0, 1633.0, 1000.0}) {
        CAPTURE(hz);
        CHECK(detect(rate, audio_test::tone(hz, rate, rate, 12000.0)).empty());
    }
    // Two tones of the same group (two rows) are not a key.
    CHECK(detect(rate, pair(697.0, 852.0, -10, -10, rate, rate)).empty());
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<std::int16_t> white(rate * 2);
    for (auto& s : white) s = static_cast<std::int16_t>(std::lround(u(rng) * 20000.0));
    CHECK(detect(rate, white).empty());

    for (unsigned seed = 1; seed <= 20; ++seed) {
        const auto speech = speech_like(rate, 3.0, seed);
        CHECK(audio_test::rms(speech) > 1000.0);  // loud enough to matter
        CHECK(detect(rate, speech).empty());
        const auto speech16 = speech_like(16000, 3.0, seed);
        CHECK(detect(16000, speech16).empty());
    }
}

TEST_CASE("audio: dtmf frequency tolerance follows Q.24 (accept 1.5 %, reject 3.5 %)") {
    const double keys[4][2] = {{697, 1209}, {941, 1633}, {852, 1477}, {770, 1336}};
    const char names[4] = {'1', 'D', '9', '5'};
    for (std::uint32_t rate : {8000u, 16000u}) {
        for (int k = 0; k < 4; ++k) {
            for (double sign : {1.0, -1.0}) {
                CAPTURE(rate);
                CAPTURE(names[k]);
                CAPTURE(sign);
                auto near = pair(keys[k][0] * (1 + sign * 0.015), keys[k][1] * (1 + sign * 0.015),
                                 -10, -10, rate, ms(rate, 100));
                append_silence(near, ms(rate, 60));
                CHECK(detect(rate, near) == std::string(1, names[k]));
                const auto far =
                    pair(keys[k][0] * (1 + sign * 0.035), keys[k][1] * (1 + sign * 0.035), -10, -10,
                         rate, ms(rate, 100));
                CHECK(detect(rate, far).empty());
            }
        }
    }
}

TEST_CASE("audio: dtmf survives white noise at 15 dB SNR, low levels and twist limits") {
    const std::uint32_t rate = 8000;
    std::mt19937 rng(11);
    std::normal_distribution<double> gauss(0.0, 1.0);
    for (char key : std::string("19*#D")) {
        CAPTURE(key);
        std::vector<std::int16_t> pcm;
        append_silence(pcm, ms(rate, 50));
        append_key(pcm, key, rate, 100);
        append_silence(pcm, ms(rate, 80));
        // Tone power: two sines of peak A = 10^(-10/20) full scale -> A^2 each half-power.
        const double a = 32767.0 * std::pow(10.0, -10.0 / 20.0);
        const double signal_power = a * a;  // 2 * a^2 / 2
        const double sigma = std::sqrt(signal_power / std::pow(10.0, 15.0 / 10.0));
        std::vector<std::int16_t> noisy(pcm.size());
        for (std::size_t i = 0; i < pcm.size(); ++i)
            noisy[i] = static_cast<std::int16_t>(
                std::clamp(pcm[i] + sigma * gauss(rng), -32768.0, 32767.0));
        CHECK(detect(rate, noisy) == std::string(1, key));
    }

    // Level: -30 dBFS per tone is a key, -50 dBFS is not.
    std::vector<std::int16_t> quiet;
    append_key(quiet, '8', rate, 100, -30.0f);
    append_silence(quiet, ms(rate, 60));
    CHECK(detect(rate, quiet) == "8");
    std::vector<std::int16_t> faint;
    append_key(faint, '8', rate, 100, -50.0f);
    CHECK(detect(rate, faint).empty());

    // Twist: low group louder by 6 dB is fine, by 10 dB is not; high group louder by 3 dB is
    // fine, by 6 dB is not.
    CHECK(detect(rate, pair(770.0, 1336.0, -10, -16, rate, 800)) == "5");
    CHECK(detect(rate, pair(770.0, 1336.0, -10, -20, rate, 800)).empty());
    CHECK(detect(rate, pair(770.0, 1336.0, -13, -10, rate, 800)) == "5");
    CHECK(detect(rate, pair(770.0, 1336.0, -16, -10, rate, 800)).empty());
}

TEST_CASE("audio: dtmf the quiet-block shortcut keeps every key just above the level floor") {
    // The detector skips its filters on blocks too quiet to hold a tone at the -38 dBFS floor;
    // every key 1 dB above that floor is still found, at both rates and with the weaker group
    // at the twist limit, and 3 dB below it none is.
    for (const std::uint32_t rate : {8000u, 16000u}) {
        CAPTURE(rate);
        for (const char key : std::string("0123456789*#ABCD")) {
            CAPTURE(key);
            std::vector<std::int16_t> near_floor;
            append_key(near_floor, key, rate, 100, -37.0f);
            append_silence(near_floor, ms(rate, 60));
            CHECK(detect(rate, near_floor) == std::string(1, key));
            std::vector<std::int16_t> below;
            append_key(below, key, rate, 100, -41.0f);
            CHECK(detect(rate, below).empty());
        }
        float row = 0, col = 0;
        REQUIRE(dtmf_frequencies('5', row, col));
        CHECK(detect(rate, pair(row, col, -30, -37, rate, ms(rate, 100))) == "5");
    }
}
