// HMAC and constant-time comparison on mbedTLS (libmbedcrypto).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace ringoverbot::webhook::detail {

inline constexpr std::size_t sha256_size = 32;
inline constexpr std::size_t sha512_size = 64;

// HMAC-SHA256 / HMAC-SHA512 of the concatenation of `parts`, keyed with the raw key bytes.
// `out` holds sha256_size / sha512_size bytes. False only if mbedTLS fails.
bool hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts,
                 std::uint8_t* out);
bool hmac_sha512(std::string_view key, std::initializer_list<std::string_view> parts,
                 std::uint8_t* out);
bool sha256(std::string_view data, std::uint8_t* out);

// Constant time in n.
bool ct_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n);
// Constant time in the content of both strings (compares their SHA-256 digests, so the
// running time depends on neither the position of a difference nor a length match).
bool ct_equal_secret(std::string_view a, std::string_view b);

}  // namespace ringoverbot::webhook::detail
