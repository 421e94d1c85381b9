#include "call/base64.hpp"

#include <algorithm>

namespace ringoverbot::callsim {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 character, or -1.
int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

void base64_append(std::span<const std::uint8_t> bytes, std::string& out) {
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);  // bytes in the group
        std::uint32_t group = std::uint32_t{bytes[i]} << 16;
        if (n > 1) group |= std::uint32_t{bytes[i + 1]} << 8;
        if (n > 2) group |= std::uint32_t{bytes[i + 2]};
        // n bytes make n + 1 characters; '=' fills the group to four.
        for (std::size_t k = 0; k < 4; ++k)
            out.push_back(k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=');
    }
}

bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
    out.clear();
    out.reserve(text.size() / 4 * 3 + 3);
    std::uint32_t bits = 0;  // the `pending` low bits not yet a whole byte
    int pending = 0;
    std::size_t chars = 0, pads = 0;
    for (const char c : text) {
        if (c == '\r' || c == '\n') continue;
        if (c == '=') {
            ++pads;
            continue;
        }
        const int value = sextet(c);
        if (value < 0 || pads != 0) return false;
        ++chars;
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            out.push_back(static_cast<std::uint8_t>(bits >> pending));
            bits &= (1u << pending) - 1;
        }
    }
    // The last group: one character holds no byte, and padding may only complete a group.
    const std::size_t tail = chars % 4;
    if (tail == 1) return false;
    if (pads != 0 && (tail == 0 || tail + pads != 4)) return false;
    return bits == 0;
}

}  // namespace ringoverbot::callsim
