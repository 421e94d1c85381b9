// The streamer's inbound decoder takes one WebSocket message at a time from a peer we do not
// control. The input is split into messages at 0xFF 0x00 markers; the byte before each says
// text or binary. Nothing may crash, and an end is delivered at most once.
#include <cstdint>
#include <span>

#include "ringoverbot/streamer.hpp"

using namespace ringoverbot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    streamer::DecoderConfig config;
    config.max_message_bytes = 4096;
    streamer::InboundDecoder decoder(config);
    int ends = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= size; ++i) {
        const bool boundary = i == size || (i + 1 < size && data[i] == 0xFF && data[i + 1] == 0x00);
        if (!boundary) continue;
        if (i > start) {
            const bool binary = (data[start] & 1) != 0;
            const auto& ev = decoder.decode(std::span(data + start + 1, i - start - 1), binary);
            if (ev.kind == streamer::EventKind::end) ++ends;
            if (ev.kind == streamer::EventKind::audio) {
                // Touch every sample so ASan checks the span.
                volatile std::int32_t sum = 0;
                for (const auto s : ev.samples) sum = sum + s;
            }
        }
        start = i + 2;
        ++i;
    }
    if (decoder.close("fuzz").kind == streamer::EventKind::end) ++ends;
    if (ends != 1) __builtin_trap();
    return 0;
}
