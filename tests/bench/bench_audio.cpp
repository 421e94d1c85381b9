// Audio throughput: G.711 over one second of 8 kHz audio, and the streaming resampler
// (SINC_FASTEST) on 20 ms chunks, the way a call feeds it. "x_realtime" is seconds of audio
// processed per second of CPU.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "ringoverbot/audio.hpp"

using namespace ringoverbot;

namespace {

std::vector<std::int16_t> tone(std::size_t n, double rate) {
    std::vector<std::int16_t> pcm(n);
    for (std::size_t i = 0; i < n; ++i)
        pcm[i] = static_cast<std::int16_t>(
            8000 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / rate));
    return pcm;
}

void g711_ulaw_encode_1s(benchmark::State& state) {
    const auto pcm = tone(8000, 8000);
    std::vector<std::uint8_t> out(pcm.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(audio::ulaw_encode(pcm, out));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["x_realtime"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(g711_ulaw_encode_1s);

void g711_ulaw_decode_1s(benchmark::State& state) {
    const auto pcm = tone(8000, 8000);
    std::vector<std::uint8_t> law(pcm.size());
    audio::ulaw_encode(pcm, law);
    std::vector<std::int16_t> out(pcm.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(audio::ulaw_decode(law, out));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["x_realtime"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(g711_ulaw_decode_1s);

void resample(benchmark::State& state, std::uint32_t in_hz, std::uint32_t out_hz,
              audio::ResampleQuality quality = audio::ResampleQuality::sinc_fastest) {
    const std::size_t chunk = in_hz / 50;  // 20 ms
    const auto pcm = tone(chunk, in_hz);
    auto r = audio::Resampler::create(in_hz, out_hz, 1, quality);
    if (!r) {
        state.SkipWithError("resampler");
        return;
    }
    std::vector<std::int16_t> out(r->max_output(chunk));
    for (auto _ : state) {
        auto n = r->process(pcm, out);
        if (!n) state.SkipWithError("process");
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["x_realtime"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * 0.02, benchmark::Counter::kIsRate);
}

void resample_8k_16k_20ms(benchmark::State& state) {
    resample(state, 8000, 16000);
}
BENCHMARK(resample_8k_16k_20ms);
// The same work as Python's audioop.ratecv (linear interpolation, no anti-alias filter).
void resample_8k_16k_20ms_linear(benchmark::State& state) {
    resample(state, 8000, 16000, audio::ResampleQuality::linear);
}
BENCHMARK(resample_8k_16k_20ms_linear);
void resample_8k_16k_20ms_voip(benchmark::State& state) {
    resample(state, 8000, 16000, audio::ResampleQuality::voip);
}
BENCHMARK(resample_8k_16k_20ms_voip);
void resample_24k_8k_20ms(benchmark::State& state) {
    resample(state, 24000, 8000);
}
BENCHMARK(resample_24k_8k_20ms);
void resample_22050_8k_20ms(benchmark::State& state) {
    resample(state, 22050, 8000);
}
BENCHMARK(resample_22050_8k_20ms);
void resample_22050_8k_20ms_voip(benchmark::State& state) {
    resample(state, 22050, 8000, audio::ResampleQuality::voip);
}
BENCHMARK(resample_22050_8k_20ms_voip);

void opus_encode_16k_20ms(benchmark::State& state) {
    const auto pcm = tone(320, 16000);
    auto enc = audio::OpusEncoder::create(16000);
    if (!enc) {
        state.SkipWithError("opus");
        return;
    }
    std::vector<std::uint8_t> packet(1275);
    for (auto _ : state) {
        auto n = enc->encode(pcm, packet);
        if (!n) state.SkipWithError("encode");
        benchmark::DoNotOptimize(packet.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["x_realtime"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * 0.02, benchmark::Counter::kIsRate);
}
BENCHMARK(opus_encode_16k_20ms);

}  // namespace

BENCHMARK_MAIN();
