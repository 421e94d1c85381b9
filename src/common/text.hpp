// ASCII text helpers: trimming blanks, case folding, case-insensitive comparison, hex digits.
// Byte-wise and locale-free: bytes above 0x7F (UTF-8) pass through unchanged whatever locale
// the host application set (std::isspace and std::tolower follow it; these do not).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::text {

// The ASCII blanks: space, \t, \n, \v, \f, \r (what std::isspace matches in the "C" locale).
inline constexpr std::string_view kBlanks = " \t\n\v\f\r";
// JSON's whitespace (RFC 8259): space, \t, \n, \r. A \v or \f after a JSON token is not
// whitespace but part of the (then invalid) token.
inline constexpr std::string_view kJsonBlanks = " \t\n\r";

// `s` without the leading and trailing characters found in `blanks`.
std::string_view trim(std::string_view s, std::string_view blanks = kBlanks) noexcept;
// `s` without the trailing characters found in `blanks`.
std::string_view trim_right(std::string_view s, std::string_view blanks = kBlanks) noexcept;

constexpr char to_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char to_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// True when `a` and `b` are equal but for the case of ASCII letters; either side may be in
// any case.
bool iequals(std::string_view a, std::string_view b) noexcept;
// True when `s` begins with `prefix`, ignoring the case of ASCII letters.
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;

// The value of a hex digit (0-9, a-f, A-F), or -1 for any other character.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The words of `text` for matching what a caller said against expected phrases: lowercased,
// apostrophes dropped ("what's" -> "whats"), every other ASCII character that is not a letter or
// digit separates words; bytes above 0x7F (UTF-8) count as letters.
std::vector<std::string> normalize_words(std::string_view text);

// True when `phrase` (non-empty) occurs in `words` as a run of consecutive whole words.
bool contains_words(std::span<const std::string> words,
                    std::span<const std::string> phrase) noexcept;

}  // namespace ringoverbot::text
