// Streamer framing: inbound frames decoded per second (binary L16, JSON+base64 PCMU and L16),
// streamAudio messages encoded per second (20 ms and 200 ms at 8 kHz). The decoder's
// buffer_growths counter is reported: it stays 0 once the call is warm (no allocation per frame).
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/base64.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/streamer.hpp"

using namespace ringoverbot;

namespace {

std::vector<std::int16_t> tone(std::size_t n) {
    std::vector<std::int16_t> pcm(n);
    for (std::size_t i = 0; i < n; ++i)
        pcm[i] = static_cast<std::int16_t>(
            8000 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 8000));
    return pcm;
}

std::vector<std::uint8_t> le_bytes(const std::vector<std::int16_t>& pcm) {
    std::vector<std::uint8_t> b(pcm.size() * 2);
    audio::samples_to_s16le(pcm, b);
    return b;
}

std::string audio_data_json(std::span<const std::uint8_t> payload, const char* encoding) {
    return std::string(R"({"event":"audio_data","data":{"audioData":")") + base64::encode(payload) +
           R"(","encoding":")" + encoding + R"(","sampleRate":8000}})";
}

void run_decoder(benchmark::State& state, std::span<const std::uint8_t> msg, bool binary) {
    streamer::InboundDecoder decoder;
    for (int i = 0; i < 4; ++i) (void)decoder.decode(msg, binary);  // warm up
    const auto growths = decoder.stats().buffer_growths;
    for (auto _ : state) {
        const auto& ev = decoder.decode(msg, binary);
        if (ev.kind != streamer::EventKind::audio) state.SkipWithError("not audio");
        benchmark::DoNotOptimize(ev.samples.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["buffer_growths_when_warm"] =
        static_cast<double>(decoder.stats().buffer_growths - growths);
}

void inbound_binary_l16_20ms(benchmark::State& state) {
    const auto bytes = le_bytes(tone(160));
    run_decoder(state, bytes, true);
}
BENCHMARK(inbound_binary_l16_20ms);

void inbound_json_pcmu_20ms(benchmark::State& state) {
    const auto pcm = tone(160);
    std::vector<std::uint8_t> ulaw(pcm.size());
    audio::ulaw_encode(pcm, ulaw);
    const auto text = audio_data_json(ulaw, "PCMU");
    run_decoder(state, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, false);
}
BENCHMARK(inbound_json_pcmu_20ms);

void inbound_json_l16_20ms(benchmark::State& state) {
    const auto text = audio_data_json(le_bytes(tone(160)), "L16");
    run_decoder(state, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, false);
}
BENCHMARK(inbound_json_l16_20ms);

void encode_stream_audio(benchmark::State& state, std::size_t samples) {
    const auto pcm = tone(samples);
    streamer::OutboundEncoder encoder;
    (void)encoder.stream_audio(pcm, 8000);
    const auto growths = encoder.buffer_growths();
    for (auto _ : state) {
        auto msg = encoder.stream_audio(pcm, 8000);
        if (!msg) state.SkipWithError("encode failed");
        benchmark::DoNotOptimize(msg->data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * samples * 2));
    state.counters["buffer_growths_when_warm"] =
        static_cast<double>(encoder.buffer_growths() - growths);
}

void stream_audio_encode_20ms(benchmark::State& state) {
    encode_stream_audio(state, 160);
}
BENCHMARK(stream_audio_encode_20ms);
void stream_audio_encode_200ms(benchmark::State& state) {
    encode_stream_audio(state, 1600);
}
BENCHMARK(stream_audio_encode_200ms);

}  // namespace

BENCHMARK_MAIN();
