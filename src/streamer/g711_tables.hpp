// G.711 decoding tables for the streamer's PCMU/PCMA payloads.
// Private stopgap: to be replaced by ringoverbot::audio (src/audio/) once it lands; the streamer
// only needs decoding, and two 256-entry tables are the simplest correct way to do it.
// The tables are computed at compile time from the reference Sun Microsystems g711.c
// (ulaw2linear / alaw2linear), the same values as ITU-T G.191 and Python's audioop.
#pragma once

#include <array>
#include <cstdint>

namespace ringoverbot::streamer::g711 {

namespace detail {

constexpr int kSignBit = 0x80;    // sign bit of a law byte
constexpr int kQuantMask = 0x0F;  // quantization field
constexpr int kSegShift = 4;      // segment field position
constexpr int kSegMask = 0x70;    // segment field
constexpr int kUlawBias = 0x84;   // bias added before mu-law encoding

constexpr std::int16_t ulaw2linear(std::uint8_t byte) {
    const int u = ~byte & 0xFF;  // mu-law bytes are stored inverted
    int t = ((u & kQuantMask) << 3) + kUlawBias;
    t <<= (u & kSegMask) >> kSegShift;
    return static_cast<std::int16_t>((u & kSignBit) ? (kUlawBias - t) : (t - kUlawBias));
}

constexpr std::int16_t alaw2linear(std::uint8_t byte) {
    const int a = byte ^ 0x55;  // A-law bytes have their even bits inverted
    int t = (a & kQuantMask) << 4;
    const int seg = (a & kSegMask) >> kSegShift;
    switch (seg) {
        case 0:
            t += 8;
            break;
        case 1:
            t += 0x108;
            break;
        default:
            t += 0x108;
            t <<= seg - 1;
    }
    return static_cast<std::int16_t>((a & kSignBit) ? t : -t);
}

template <std::int16_t (*Decode)(std::uint8_t)>
constexpr std::array<std::int16_t, 256> make_table() {
    std::array<std::int16_t, 256> table{};
    for (int i = 0; i < 256; ++i)
        table[static_cast<std::size_t>(i)] = Decode(static_cast<std::uint8_t>(i));
    return table;
}

}  // namespace detail

inline constexpr std::array<std::int16_t, 256> kUlawToLinear =
    detail::make_table<detail::ulaw2linear>();
inline constexpr std::array<std::int16_t, 256> kAlawToLinear =
    detail::make_table<detail::alaw2linear>();

// Reference points of the standard tables, checked at compile time.
static_assert(kUlawToLinear[0x00] == -32124 && kUlawToLinear[0x80] == 32124);
static_assert(kUlawToLinear[0xFF] == 0 && kUlawToLinear[0x7F] == 0);
static_assert(kAlawToLinear[0xD5] == 8 && kAlawToLinear[0x55] == -8);
static_assert(kAlawToLinear[0x00] == -5504 && kAlawToLinear[0xAA] == 32256);

}  // namespace ringoverbot::streamer::g711
