// Private pieces of the outbound encoder shared by OutboundEncoder (which appends to its own
// std::string) and the C ABI (which writes straight into the caller's buffer): the argument
// checks and the one streamAudio layout, written once against a small "sink" interface.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "common/base64.hpp"
#include "ringoverbot/streamer.hpp"

namespace ringoverbot::streamer::detail {

// What goes after "data": for digits/transfer: the text and whether it is quoted.
struct NumberText {
    std::string_view text;
    bool quoted = false;
};
// Checks `value` (digits: also * # A-D) and applies the policy. invalid_argument when empty or
// when a character is not allowed ('+' only in first position).
Result<NumberText> resolve_number(std::string_view value, NumberPolicy policy, bool dtmf_keys);

// Checks a streamAudio request before anything is written.
Status check_stream_audio(AudioDataType type, std::size_t data_bytes, std::uint32_t rate_hz);

inline constexpr std::string_view kAudioHead = R"({"type":"streamAudio","data":{"audioDataType":")";
inline constexpr std::string_view kAudioRate = R"(","sampleRate":)";
inline constexpr std::string_view kAudioData = R"(,"audioData":")";
inline constexpr std::string_view kAudioTail = R"("}})";

// Appends to a std::string that already has the capacity (no allocation once warm).
struct StringSink {
    std::string& out;
    void put(std::string_view s) { out.append(s); }
    void put_base64(std::span<const std::uint8_t> bytes) { base64::encode_append(bytes, out); }
};

// Writes into a caller's buffer already known to be large enough. The base64 goes through
// 9-byte blocks (12 characters, inside std::string's small buffer), so nothing is allocated;
// only the final block of a message may be padded, and every other block is a multiple of 3.
struct BufferSink {
    char* out;
    std::string block{};
    void put(std::string_view s) {
        std::memcpy(out, s.data(), s.size());
        out += s.size();
    }
    void put_base64(std::span<const std::uint8_t> bytes) {
        constexpr std::size_t kBlock = 9;
        for (std::size_t i = 0; i < bytes.size(); i += kBlock) {
            block.clear();
            base64::encode_append(bytes.subspan(i, std::min(kBlock, bytes.size() - i)), block);
            put(block);
        }
    }
};

// Feeds mono PCM to a sink as little-endian bytes, whatever the host's byte order.
template <class Sink>
void put_pcm_le(Sink& sink, std::span<const std::int16_t> pcm) {
    if constexpr (std::endian::native == std::endian::little) {
        sink.put_base64({reinterpret_cast<const std::uint8_t*>(pcm.data()), pcm.size() * 2});
    } else {
        constexpr std::size_t kSamples = 48;  // 96 bytes, a multiple of 3: no padding mid-stream
        std::uint8_t le[kSamples * 2];
        for (std::size_t i = 0; i < pcm.size(); i += kSamples) {
            const std::size_t n = std::min(kSamples, pcm.size() - i);
            for (std::size_t k = 0; k < n; ++k) {
                const auto v = static_cast<std::uint16_t>(pcm[i + k]);
                le[2 * k] = static_cast<std::uint8_t>(v & 0xFF);
                le[2 * k + 1] = static_cast<std::uint8_t>(v >> 8);
            }
            sink.put_base64({le, n * 2});
        }
    }
}

// The streamAudio layout. `put_data` writes the base64 payload.
template <class Sink, class PutData>
void write_stream_audio(Sink& sink, AudioDataType type, std::uint32_t rate_hz, PutData put_data) {
    char digits[16];
    const auto r = std::to_chars(digits, digits + sizeof digits, rate_hz);
    sink.put(kAudioHead);
    sink.put(audio_data_type_name(type));
    sink.put(kAudioRate);
    sink.put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
    sink.put(kAudioData);
    put_data(sink);
    sink.put(kAudioTail);
}

}  // namespace ringoverbot::streamer::detail
