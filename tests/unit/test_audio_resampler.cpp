#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "test_audio_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::audio;
using audio_test::tone;
using audio_test::tone_amplitude;
using audio_test::zero_crossing_hz;

namespace {

// Runs `in` through a fresh resampler in chunks of `chunk` input frames, with output buffers of
// exactly max_output() frames, and a final flush.
std::vector<std::int16_t> run(std::uint32_t from, std::uint32_t to,
                              const std::vector<std::int16_t>& in, std::size_t chunk,
                              ResampleQuality q = ResampleQuality::sinc_fastest,
                              unsigned channels = 1) {
    auto r = Resampler::create(from, to, channels, q);
    REQUIRE(r.ok());
    std::vector<std::int16_t> out;
    std::vector<std::int16_t> buf;
    const std::size_t frames = in.size() / channels;
    for (std::size_t pos = 0; pos < frames; pos += chunk) {
        const std::size_t n = std::min(chunk, frames - pos);
        const bool last = pos + n == frames;
        buf.resize(r->max_output(n) * channels);
        auto got =
            r->process(std::span(in).subspan(pos * channels, n * channels), std::span(buf), last);
        REQUIRE(got.ok());
        out.insert(out.end(), buf.begin(), buf.begin() + got.value() * channels);
    }
    return out;
}

}  // namespace

TEST_CASE("audio: resampler output length follows the ratio over a long stream") {
    const std::uint32_t rates[] = {8000, 16000, 22050, 24000, 48000, 11025};
    std::mt19937 rng(1234);
    for (auto q : {ResampleQuality::sinc_fastest, ResampleQuality::linear,
                   ResampleQuality::sinc_medium, ResampleQuality::voip}) {
        for (auto from : rates) {
            for (auto to : rates) {
                if (from == to && from != 8000) continue;
                CAPTURE(from);
                CAPTURE(to);
                CAPTURE(static_cast<int>(q));
                auto r = Resampler::create(from, to, 1, q);
                REQUIRE(r.ok());
                const std::size_t total_in = from * 3;  // 3 s in random chunks
                std::vector<std::int16_t> buf;
                std::vector<std::int16_t> in(4096, 0);
                std::size_t fed = 0;
                std::size_t produced = 0;
                // One buffer sized for the largest chunk serves every call.
                buf.assign(r->max_output(2000), 0);
                std::size_t max_lag = 0;
                while (fed < total_in) {
                    std::size_t n = 1 + rng() % 2000;
                    if (n > total_in - fed) n = total_in - fed;
                    for (std::size_t i = 0; i < n; ++i)
                        in[i] = static_cast<std::int16_t>(rng() % 20000) - 10000;
                    const bool last = fed + n == total_in;
                    auto got = r->process(std::span(in).first(n), std::span(buf), last);
                    REQUIRE(got.ok());
                    CHECK(got.value() <= r->max_output(n));
                    produced += got.value();
                    fed += n;
                    const double lag = std::ceil(static_cast<double>(fed) * to / from) -
                                       static_cast<double>(produced);
                    max_lag = std::max(max_lag, static_cast<std::size_t>(std::max(lag, 0.0)));
                }
                const double expected = static_cast<double>(total_in) * to / from;
                CHECK(std::fabs(static_cast<double>(produced) - expected) <= 3.0);
                // The filter holds back a few ms at most (SINC_MEDIUM's half filter is 48 frames).
                CHECK(max_lag <= 48 * std::max<std::size_t>(1, (to + from - 1) / from));
            }
        }
    }
}

TEST_CASE("audio: resampler keeps a 1 kHz tone's frequency and amplitude") {
    const std::pair<std::uint32_t, std::uint32_t> pairs[] = {
        {8000, 16000}, {16000, 8000}, {22050, 8000}, {24000, 8000}, {48000, 16000}, {8000, 48000}};
    for (const auto& rates : pairs) {
        const std::uint32_t from = rates.first;
        const std::uint32_t to = rates.second;
        CAPTURE(from);
        CAPTURE(to);
        const auto in = tone(1000.0, from, from);  // 1 s at amplitude 16000
        const auto out = run(from, to, in, from / 50);
        CHECK(std::abs(static_cast<long>(out.size()) - static_cast<long>(to)) <= 2);
        // Measure away from the edges (filter warm-up and the flushed tail).
        const auto mid = std::span(out).subspan(to / 10, to * 8 / 10);
        CHECK(zero_crossing_hz(mid, to) == doctest::Approx(1000.0).epsilon(0.001));
        CHECK(tone_amplitude(mid, 1000.0, to) == doctest::Approx(16000.0).epsilon(0.01));
    }
}

TEST_CASE("audio: resampler filters what would alias when downsampling 24k -> 8k") {
    for (double hz : {5000.0, 6000.0, 4500.0}) {
        CAPTURE(hz);
        const auto in = tone(hz, 24000, 24000, 30000.0);
        const auto out = run(24000, 8000, in, 480);
        const auto mid = std::span(out).subspan(800, 6400);
        // Everything left, whatever its frequency, is > 60 dB below the input.
        const double atten_db =
            20.0 * std::log10(audio_test::rms(mid) / (30000.0 / std::sqrt(2.0)));
        CAPTURE(atten_db);
        CHECK(atten_db < -60.0);
        // LINEAR has no anti-alias filter: the same tone folds back at nearly full strength,
        // which shows the measurement can fail.
        const auto lin = run(24000, 8000, in, 480, ResampleQuality::linear);
        const double alias = tone_amplitude(std::span(lin).subspan(800, 6400), 8000.0 - hz, 8000);
        CHECK(alias > 30000.0 * 0.5);
    }
    // 3.5 kHz is inside the 8 kHz output band (Nyquist 4 kHz), in SINC_FASTEST's transition
    // band: it is attenuated but not removed. Record the level so a change is noticed.
    const auto in = tone(3500.0, 24000, 24000, 30000.0);
    const auto out = run(24000, 8000, in, 480);
    const double level = tone_amplitude(std::span(out).subspan(800, 6400), 3500.0, 8000) / 30000.0;
    CAPTURE(level);
    CHECK(level < 0.5);
}

TEST_CASE("audio: resampler keeps stereo channels apart") {
    const std::uint32_t from = 48000;
    const std::uint32_t to = 16000;
    const auto left = tone(1000.0, from, from);
    const auto right = tone(440.0, from, from, 8000.0);
    std::vector<std::int16_t> in(2 * from);
    for (std::size_t i = 0; i < from; ++i) {
        in[2 * i] = left[i];
        in[2 * i + 1] = right[i];
    }
    const auto out = run(from, to, in, 960, ResampleQuality::sinc_fastest, 2);
    REQUIRE(out.size() % 2 == 0);
    std::vector<std::int16_t> l(out.size() / 2);
    std::vector<std::int16_t> r(out.size() / 2);
    extract_channel(out, 2, 0, l);
    extract_channel(out, 2, 1, r);
    const auto lm = std::span<const std::int16_t>(l).subspan(1600, 12800);
    const auto rm = std::span<const std::int16_t>(r).subspan(1600, 12800);
    CHECK(zero_crossing_hz(lm, to) == doctest::Approx(1000.0).epsilon(0.001));
    CHECK(zero_crossing_hz(rm, to) == doctest::Approx(440.0).epsilon(0.002));
    CHECK(tone_amplitude(lm, 1000.0, to) == doctest::Approx(16000.0).epsilon(0.01));
    CHECK(tone_amplitude(rm, 440.0, to) == doctest::Approx(8000.0).epsilon(0.01));
    CHECK(tone_amplitude(lm, 440.0, to) < 50.0);
}

TEST_CASE("audio: resampler big chunks, the vector form, reset and misuse") {
    const auto in = tone(1000.0, 8000, 40000);  // 5 s in one call: processed in pieces
    auto r = Resampler::create(8000, 16000, 1, ResampleQuality::sinc_fastest, 1000);
    REQUIRE(r.ok());
    std::vector<std::int16_t> out;
    REQUIRE(r->process_append(in, out, true).ok());
    CHECK(std::abs(static_cast<long>(out.size()) - 80000) <= 2);
    // After the flush the resampler starts a new stream: the same input gives the same output.
    std::vector<std::int16_t> again;
    REQUIRE(r->process_append(in, again, true).ok());
    CHECK(again == out);
    // reset() mid-stream also gives a fresh start.
    std::vector<std::int16_t> part;
    REQUIRE(r->process_append(std::span(in).first(1234), part).ok());
    REQUIRE(r->reset().ok());
    std::vector<std::int16_t> third;
    REQUIRE(r->process_append(in, third, true).ok());
    CHECK(third == out);

    // An output buffer shorter than max_output() is refused before anything is consumed.
    std::vector<std::int16_t> small(10);
    auto refused = r->process(std::span(in).first(160), std::span(small));
    CHECK(refused.code() == Errc::buffer_too_small);
    std::vector<std::int16_t> fresh;
    REQUIRE(r->process_append(in, fresh, true).ok());
    CHECK(fresh == out);

    CHECK(Resampler::create(0, 8000).code() == Errc::invalid_argument);
    CHECK(Resampler::create(8000, 0).code() == Errc::invalid_argument);
    CHECK(Resampler::create(8000, 16000, 0).code() == Errc::invalid_argument);
    CHECK(Resampler::create(1000, 300000).code() == Errc::invalid_argument);  // ratio > 256
    CHECK(Resampler::create(8000, 16000, 1, static_cast<ResampleQuality>(9)).code() ==
          Errc::invalid_argument);
    auto st = Resampler::create(8000, 16000, 2);
    REQUIRE(st.ok());
    std::vector<std::int16_t> odd(3);
    std::vector<std::int16_t> sink;
    CHECK(st->process_append(odd, sink).code() == Errc::invalid_argument);
    // Any rate libsamplerate accepts works, e.g. 44100 -> 8000 and 7350 -> 32000.
    CHECK(Resampler::create(44100, 8000).ok());
    CHECK(Resampler::create(7350, 32000, 2, ResampleQuality::sinc_best).ok());
}

TEST_CASE("audio: resampler every quality passes a 1 kHz tone") {
    for (auto q : {ResampleQuality::sinc_fastest, ResampleQuality::sinc_medium,
                   ResampleQuality::sinc_best, ResampleQuality::linear, ResampleQuality::voip}) {
        CAPTURE(static_cast<int>(q));
        const auto in = tone(1000.0, 16000, 16000);
        const auto out = run(16000, 8000, in, 320, q);
        const auto mid = std::span(out).subspan(800, 6400);
        CHECK(zero_crossing_hz(mid, 8000) == doctest::Approx(1000.0).epsilon(0.001));
        CHECK(tone_amplitude(mid, 1000.0, 8000) == doctest::Approx(16000.0).epsilon(0.02));
    }
}

TEST_CASE("audio: resampler voip keeps the telephone band flat and its images low") {
    // 8 -> 16 kHz, the STT's direction: a tone f at 8 kHz has its image at 8000 - f.
    for (double hz : {300.0, 1000.0, 3000.0, 3400.0}) {
        CAPTURE(hz);
        const auto in = tone(hz, 8000, 8000 * 2, 16000.0);
        const auto out = run(8000, 16000, in, 160, ResampleQuality::voip);
        CHECK(std::abs(static_cast<long>(out.size()) - 32000) <= 2);
        const auto mid = std::span(out).subspan(3200, 25600);
        const double gain_db = 20.0 * std::log10(tone_amplitude(mid, hz, 16000) / 16000.0);
        const double image_db = 20.0 * std::log10(tone_amplitude(mid, 8000.0 - hz, 16000) /
                                                  tone_amplitude(mid, hz, 16000));
        CAPTURE(gain_db);
        CAPTURE(image_db);
        CHECK(std::fabs(gain_db) < 0.5);
        CHECK(image_db < -60.0);
    }
    // sinc_fastest's wide transition band takes several dB off the top of the phone band.
    const auto in = tone(3400.0, 8000, 8000 * 2, 16000.0);
    const auto out = run(8000, 16000, in, 160, ResampleQuality::sinc_fastest);
    const auto mid = std::span(out).subspan(3200, 25600);
    CHECK(20.0 * std::log10(tone_amplitude(mid, 3400.0, 16000) / 16000.0) < -3.0);
}

TEST_CASE("audio: resampler voip filters what would alias when downsampling 16k -> 8k") {
    for (double hz : {5000.0, 6000.0}) {
        CAPTURE(hz);
        const auto in = tone(hz, 16000, 16000, 30000.0);
        const auto out = run(16000, 8000, in, 320, ResampleQuality::voip);
        const auto mid = std::span(out).subspan(800, 6400);
        const double atten_db =
            20.0 * std::log10(audio_test::rms(mid) / (30000.0 / std::sqrt(2.0)));
        CAPTURE(atten_db);
        CHECK(atten_db < -60.0);
    }
}
