#include "common/base64.hpp"

#include <array>

namespace ringoverbot::base64 {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xFF;
constexpr std::uint8_t kSkip = 0xFE;  // CR, LF
constexpr std::uint8_t kPad = 0xFD;

// 0: standard, 1: url, 2: both
constexpr std::array<std::array<std::uint8_t, 256>, 3> make_tables() {
    std::array<std::array<std::uint8_t, 256>, 3> t{};
    for (auto& table : t) {
        for (auto& v : table) v = kInvalid;
        table['\r'] = kSkip;
        table['\n'] = kSkip;
        table['='] = kPad;
    }
    for (std::uint8_t i = 0; i < 64; ++i) {
        t[0][static_cast<std::uint8_t>(kStd[i])] = i;
        t[1][static_cast<std::uint8_t>(kUrl[i])] = i;
        t[2][static_cast<std::uint8_t>(kStd[i])] = i;
        t[2][static_cast<std::uint8_t>(kUrl[i])] = i;
    }
    return t;
}
constexpr auto kTables = make_tables();

}  // namespace

void encode_append(std::span<const std::uint8_t> in, std::string& out, Alphabet alphabet,
                   bool pad) {
    const char* a = alphabet == Alphabet::url ? kUrl : kStd;
    const std::size_t start = out.size();
    out.resize(start + encoded_size(in.size(), pad));
    char* o = out.data() + start;
    std::size_t i = 0;
    const std::size_t n = in.size();
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) |
                                std::uint32_t{in[i + 2]};
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
        *o++ = a[v & 63];
    }
    if (n - i == 1) {
        const std::uint32_t v = std::uint32_t{in[i]} << 16;
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        if (pad) {
            *o++ = '=';
            *o++ = '=';
        }
    } else if (n - i == 2) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        *o++ = a[(v >> 6) & 63];
        if (pad) *o++ = '=';
    }
}

std::string encode(std::span<const std::uint8_t> in, Alphabet alphabet, bool pad) {
    std::string out;
    encode_append(in, out, alphabet, pad);
    return out;
}

std::ptrdiff_t decode(std::string_view in, std::uint8_t* out, Alphabet alphabet,
                      bool accept_both) {
    const auto& table = kTables[accept_both ? 2 : (alphabet == Alphabet::url ? 1 : 0)];
    std::uint32_t acc = 0;
    int nchars = 0;  // characters in the current quantum
    std::size_t o = 0;
    std::size_t pads = 0;
    for (const char ch : in) {
        const std::uint8_t v = table[static_cast<std::uint8_t>(ch)];
        if (v == kSkip) continue;
        if (v == kPad) {
            ++pads;
            continue;
        }
        if (v == kInvalid || pads != 0) return -1;  // data after padding
        acc = (acc << 6) | v;
        if (++nchars == 4) {
            out[o++] = static_cast<std::uint8_t>(acc >> 16);
            out[o++] = static_cast<std::uint8_t>(acc >> 8);
            out[o++] = static_cast<std::uint8_t>(acc);
            acc = 0;
            nchars = 0;
        }
    }
    switch (nchars) {
        case 0:
            if (pads != 0) return -1;
            break;
        case 1:
            return -1;
        case 2:
            if (pads != 0 && pads != 2) return -1;
            if (acc & 0x0F) return -1;
            out[o++] = static_cast<std::uint8_t>(acc >> 4);
            break;
        case 3:
            if (pads > 1) return -1;
            if (acc & 0x03) return -1;
            out[o++] = static_cast<std::uint8_t>(acc >> 10);
            out[o++] = static_cast<std::uint8_t>(acc >> 2);
            break;
        default:
            break;
    }
    return static_cast<std::ptrdiff_t>(o);
}

bool decode(std::string_view in, std::vector<std::uint8_t>& out, Alphabet alphabet,
            bool accept_both) {
    out.resize(max_decoded_size(in.size()));
    const auto n = decode(in, out.data(), alphabet, accept_both);
    if (n < 0) {
        out.clear();
        return false;
    }
    out.resize(static_cast<std::size_t>(n));
    return true;
}

bool decode(std::string_view in, std::string& out, Alphabet alphabet, bool accept_both) {
    out.resize(max_decoded_size(in.size()));
    const auto n = decode(in, reinterpret_cast<std::uint8_t*>(out.data()), alphabet, accept_both);
    if (n < 0) {
        out.clear();
        return false;
    }
    out.resize(static_cast<std::size_t>(n));
    return true;
}

}  // namespace ringoverbot::base64
