// HMAC on mbedTLS (libmbedcrypto). MACs are compared with secret::equal (common/secret.hpp).
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

}  // namespace ringoverbot::webhook::detail
