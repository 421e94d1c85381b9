// Base64 (RFC 4648) in both alphabets, written for the wire: the encoder appends to a caller's
// buffer (no allocation once it has capacity) and the decoder accepts what real peers send:
// missing padding, CR/LF line breaks (MIME), and either alphabet when asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::base64 {

enum class Alphabet { standard, url };

constexpr std::size_t encoded_size(std::size_t n, bool pad = true) {
    return pad ? (n + 2) / 3 * 4 : (n * 4 + 2) / 3;
}
// An upper bound on the decoded size of `n` characters of input.
constexpr std::size_t max_decoded_size(std::size_t n) { return (n + 3) / 4 * 3; }

// Appends the encoding of `in` to `out`.
void encode_append(std::span<const std::uint8_t> in, std::string& out,
                   Alphabet alphabet = Alphabet::standard, bool pad = true);
std::string encode(std::span<const std::uint8_t> in, Alphabet alphabet = Alphabet::standard,
                   bool pad = true);
inline std::string encode(std::string_view in, Alphabet alphabet = Alphabet::standard,
                          bool pad = true) {
    return encode({reinterpret_cast<const std::uint8_t*>(in.data()), in.size()}, alphabet, pad);
}

// Decodes into `out` (which must hold max_decoded_size(in.size()) bytes); returns the number of
// bytes written, or -1 when the input is not base64: a character outside the alphabet, padding
// in the middle, a lone trailing character, or non-zero bits in the last character.
// CR and LF are skipped; padding is optional. `accept_both` takes '+/' and '-_' alike.
std::ptrdiff_t decode(std::string_view in, std::uint8_t* out,
                      Alphabet alphabet = Alphabet::standard, bool accept_both = false);

// Convenience: decode into a vector (resized to fit). Returns false on bad input.
bool decode(std::string_view in, std::vector<std::uint8_t>& out,
            Alphabet alphabet = Alphabet::standard, bool accept_both = false);
bool decode(std::string_view in, std::string& out, Alphabet alphabet = Alphabet::standard,
            bool accept_both = false);

}  // namespace ringoverbot::base64
