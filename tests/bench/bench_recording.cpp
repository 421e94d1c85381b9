// The per-call CPU cost of a recording, per second of call: both sides placed on the stereo
// timeline 20 ms at a time (the way the server pumps it), then encoded to Ogg Opus on disk
// (libopusenc: resampling to 48 kHz and Opus at 32 kbit/s). "x_realtime" is seconds of call
// recorded per second of CPU; one core records x_realtime calls at once, and core_per_call is
// the share of a core one call takes. The timeline alone is
// the baseline: what recording costs the loop when the encoding goes elsewhere.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/stereo_timeline.hpp"
#include "audio/ogg_opus_file.hpp"

using namespace ringoverbot;

namespace {

std::vector<std::int16_t> voice(std::size_t n, double rate, double f) {
    std::vector<std::int16_t> pcm(n);
    std::uint32_t seed = 7;
    for (std::size_t i = 0; i < n; ++i) {
        seed = seed * 1664525u + 1013904223u;
        const double noise = (static_cast<double>(seed >> 8) / 16777216.0 - 0.5) * 2000;
        pcm[i] = static_cast<std::int16_t>(
            6000 * std::sin(2 * M_PI * f * static_cast<double>(i) / rate) + noise);
    }
    return pcm;
}

// One second of call: 50 caller frames and 50 bot frames of 20 ms, pumped after each.
void record_seconds(benchmark::State& state, bool encode) {
    const auto rate = static_cast<std::uint32_t>(state.range(0));
    const int complexity = static_cast<int>(state.range(1));
    const std::size_t n = rate / 50;
    const auto caller = voice(n, rate, 220);
    const auto bot = voice(n, rate, 440);
    const std::string path = "/tmp/rob_bench_recording.opus";
    audio::OggOpusOptions o;
    o.rate_hz = rate;
    o.complexity = complexity;
    auto file = audio::OggOpusFile::create(path, o);
    if (!file) {
        state.SkipWithError("cannot create the recording file");
        return;
    }
    agent::StereoTimeline tl(rate, 0);
    std::vector<std::int16_t> ready;
    std::int64_t now = 0;
    for (auto _ : state) {
        for (int i = 0; i < 50; ++i) {
            now += 20000;
            tl.caller(caller, now);
            tl.bot(bot, now);
            ready.clear();
            tl.take_ready(now, ready);
            if (encode && !ready.empty()) benchmark::DoNotOptimize(file->write(ready).ok());
        }
    }
    if (encode) benchmark::DoNotOptimize(file->finish().ok());
    std::remove(path.c_str());
    state.counters["x_realtime"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["core_per_call"] =
        benchmark::Counter(static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void recording_timeline_only(benchmark::State& state) {
    record_seconds(state, false);
}
void recording_timeline_and_opus(benchmark::State& state) {
    record_seconds(state, true);
}

}  // namespace

BENCHMARK(recording_timeline_only)
    ->Args({8000, 5})
    ->Args({16000, 5})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(recording_timeline_and_opus)
    ->Args({8000, 5})
    ->Args({16000, 5})
    ->Args({8000, 0})
    ->Args({8000, 10})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
