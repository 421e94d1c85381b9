// Deepgram messages, service error bodies and raw audio bodies: never crash, error messages
// stay short and printable, confidences (Deepgram's, OpenAI transcription's) are probabilities
// or unknown, and audio decodes the same however the body is split.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "providers/cloud/deepgram_wire.hpp"
#include "providers/cloud/speech_wire.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers::cloud;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto msg = parse_deepgram_message(text);
    if (!msg && msg.code() != Errc::protocol) __builtin_trap();
    if (msg && msg->kind == DeepgramKind::error && msg->error.empty()) __builtin_trap();
    // A confidence is a probability or unknown (-1), never NaN or out of range.
    if (msg && msg->confidence != -1 && !(msg->confidence >= 0 && msg->confidence <= 1))
        __builtin_trap();

    const auto err = error_body_message(text);
    if (err.size() > 300) __builtin_trap();
    for (const char c : err)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();

    if (const auto t = parse_transcription(text);
        t && t->confidence != -1 && !(t->confidence >= 0 && t->confidence <= 1))
        __builtin_trap();
    (void)AudioBodyDecoder::for_output_format(text.substr(0, 32));

    if (size < 1) return 0;
    const std::span<const std::uint8_t> body(data + 1, size - 1);
    const std::size_t split = (std::size_t{data[0]} * body.size()) / 255;
    for (const auto format :
         {AudioBodyDecoder::Format::pcm_s16le, AudioBodyDecoder::Format::ulaw}) {
        AudioBodyDecoder whole(format, 8000), parts(format, 8000);
        std::vector<std::int16_t> a, b, out;
        whole.feed(body, a);
        parts.feed(body.subspan(0, split), out);
        b = out;
        parts.feed(body.subspan(split), out);
        b.insert(b.end(), out.begin(), out.end());
        if (a != b || whole.has_partial() != parts.has_partial()) __builtin_trap();
        const std::size_t expected =
            format == AudioBodyDecoder::Format::ulaw ? body.size() : body.size() / 2;
        if (a.size() != expected) __builtin_trap();
    }
    return 0;
}
