// G.711 after Sun Microsystems' public-domain g711.c, the reference that SoX and CPython's
// audioop build on. Decoding is a 256-entry table; encoding looks the sample up in a table
// indexed by the bits the law keeps (14 for mu-law, 13 for A-law), both computed at compile
// time by the constexpr functions below (checked against a literal transcription of Sun's code
// in the tests).
#include <array>
#include <bit>
#include <cstdint>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

constexpr int kUlawBias = 0x84;  // added to the magnitude so segment 0 starts at 33 (14-bit)
constexpr int kUlawClip = 8159;  // largest 14-bit magnitude mu-law can represent

// Sun's g711.c finds the segment by searching a table of segment ends (0x3F, 0x7F, ... for
// mu-law's biased magnitude; 0x1F, 0x3F, ... for A-law's). The ends are 2^k - 1, so the search
// is the bit width of the value: O(1), which keeps the compile-time table generation well under
// clang's constexpr step limit. 8 means "above the last end".
constexpr int ulaw_segment(int biased) {
    const int width = std::bit_width(static_cast<unsigned>(biased));
    return width <= 6 ? 0 : (width - 6 > 8 ? 8 : width - 6);
}
constexpr int alaw_segment(int magnitude) {
    const int width = std::bit_width(static_cast<unsigned>(magnitude));
    return width <= 5 ? 0 : (width - 5 > 8 ? 8 : width - 5);
}

// `sample14` is the sample arithmetically shifted right by 2 (-8192..8191).
constexpr std::uint8_t ulaw_from_14bit(int sample14) {
    int mask = 0xFF;
    int magnitude = sample14;
    if (magnitude < 0) {
        magnitude = -magnitude;
        mask = 0x7F;
    }
    if (magnitude > kUlawClip) magnitude = kUlawClip;
    magnitude += kUlawBias >> 2;
    const int seg = ulaw_segment(magnitude);
    if (seg >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
    const int code = (seg << 4) | ((magnitude >> (seg + 1)) & 0xF);
    return static_cast<std::uint8_t>(code ^ mask);
}

// `sample13` is the sample arithmetically shifted right by 3 (-4096..4095).
constexpr std::uint8_t alaw_from_13bit(int sample13) {
    int mask = 0xD5;  // sign bit set, even bits inverted
    int magnitude = sample13;
    if (magnitude < 0) {
        mask = 0x55;
        magnitude = -magnitude - 1;  // one's complement: A-law is symmetric around -0.5
    }
    const int seg = alaw_segment(magnitude);
    if (seg >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
    int code = seg << 4;
    code |= (seg < 2 ? (magnitude >> 1) : (magnitude >> seg)) & 0xF;
    return static_cast<std::uint8_t>(code ^ mask);
}

constexpr std::int16_t ulaw_to_linear(std::uint8_t code) {
    const int u = ~code & 0xFF;
    int t = ((u & 0x0F) << 3) + kUlawBias;
    t <<= (u & 0x70) >> 4;
    return static_cast<std::int16_t>((u & 0x80) ? (kUlawBias - t) : (t - kUlawBias));
}

constexpr std::int16_t alaw_to_linear(std::uint8_t code) {
    const int a = code ^ 0x55;
    int t = (a & 0x0F) << 4;
    const int seg = (a & 0x70) >> 4;
    if (seg == 0) {
        t += 8;
    } else {
        t += 0x108;
        t <<= seg - 1;
    }
    return static_cast<std::int16_t>((a & 0x80) ? t : -t);
}

template <std::size_t N, class F>
constexpr auto make_table(F f) {
    std::array<decltype(f(0)), N> table{};
    auto* out = table.data();  // raw pointer: fewer constexpr steps than operator[]
    for (std::size_t i = 0; i < N; ++i) out[i] = f(static_cast<int>(i));
    return table;
}

// Encode tables are indexed by the kept bits as unsigned (two's complement wrap), i.e.
// (sample >> 2) & 0x3FFF for mu-law and (sample >> 3) & 0x1FFF for A-law.
constexpr auto kUlawEncode =
    make_table<16384>([](int i) { return ulaw_from_14bit(i < 8192 ? i : i - 16384); });
constexpr auto kAlawEncode =
    make_table<8192>([](int i) { return alaw_from_13bit(i < 4096 ? i : i - 8192); });
constexpr auto kUlawDecode =
    make_table<256>([](int i) { return ulaw_to_linear(static_cast<std::uint8_t>(i)); });
constexpr auto kAlawDecode =
    make_table<256>([](int i) { return alaw_to_linear(static_cast<std::uint8_t>(i)); });

// Known answers, checked by the compiler (values from the ITU-T G.711 tables).
static_assert(ulaw_from_14bit(0) == 0xFF && alaw_from_13bit(0) == 0xD5);
static_assert(ulaw_to_linear(0x00) == -32124 && ulaw_to_linear(0x80) == 32124);
static_assert(alaw_to_linear(0x55) == -8 && alaw_to_linear(0xAA) == 32256);

// Table index of a sample: its top 14 (mu-law) or 13 (A-law) bits as an unsigned number.
// `nearest` adds half of the dropped LSB first, saturating at the top as SoX does.
inline std::size_t ulaw_index(std::int16_t s, G711Rounding r) {
    int v = s;
    if (r == G711Rounding::nearest) v = v + 2 > 32767 ? 32767 : v + 2;
    return static_cast<std::size_t>(v >> 2) & 0x3FFF;
}
inline std::size_t alaw_index(std::int16_t s, G711Rounding r) {
    int v = s;
    if (r == G711Rounding::nearest) v = v + 4 > 32767 ? 32767 : v + 4;
    return static_cast<std::size_t>(v >> 3) & 0x1FFF;
}

}  // namespace

std::uint8_t ulaw_encode(std::int16_t sample, G711Rounding r) noexcept {
    return kUlawEncode[ulaw_index(sample, r)];
}
std::int16_t ulaw_decode(std::uint8_t code) noexcept {
    return kUlawDecode[code];
}
std::uint8_t alaw_encode(std::int16_t sample, G711Rounding r) noexcept {
    return kAlawEncode[alaw_index(sample, r)];
}
std::int16_t alaw_decode(std::uint8_t code) noexcept {
    return kAlawDecode[code];
}

std::size_t ulaw_encode(std::span<const std::int16_t> in, std::span<std::uint8_t> out,
                        G711Rounding r) noexcept {
    const std::size_t n = in.size() < out.size() ? in.size() : out.size();
    for (std::size_t i = 0; i < n; ++i) out[i] = kUlawEncode[ulaw_index(in[i], r)];
    return n;
}

std::size_t ulaw_decode(std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept {
    const std::size_t n = in.size() < out.size() ? in.size() : out.size();
    for (std::size_t i = 0; i < n; ++i) out[i] = kUlawDecode[in[i]];
    return n;
}

std::size_t alaw_encode(std::span<const std::int16_t> in, std::span<std::uint8_t> out,
                        G711Rounding r) noexcept {
    const std::size_t n = in.size() < out.size() ? in.size() : out.size();
    for (std::size_t i = 0; i < n; ++i) out[i] = kAlawEncode[alaw_index(in[i], r)];
    return n;
}

std::size_t alaw_decode(std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept {
    const std::size_t n = in.size() < out.size() ? in.size() : out.size();
    for (std::size_t i = 0; i < n; ++i) out[i] = kAlawDecode[in[i]];
    return n;
}

}  // namespace ringoverbot::audio
