#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"

using namespace ringoverbot;
using namespace std::string_view_literals;

TEST_CASE("text: trim removes every ASCII blank at both ends, and nothing else") {
    for (const char blank : {' ', '\t', '\n', '\v', '\f', '\r'}) {
        const std::string b(1, blank);
        CHECK(text::trim(b + "a b" + b) == "a b");
        CHECK(text::trim(b + b + "x") == "x");
        CHECK(text::trim("x" + b + b) == "x");
        CHECK(text::trim(b) == "");
        CHECK(text::trim_right(b + "a" + b) == b + "a");
    }
    CHECK(text::trim(" \t\n\v\f\r") == "");
    CHECK(text::trim("") == "");
    CHECK(text::trim_right("") == "");
    CHECK(text::trim("  a \t b  ") == "a \t b");  // inner blanks stay
    // Not blanks: NUL, DEL, and bytes above 0x7F (0xA0 is a no-break space in Latin-1 and a
    // UTF-8 continuation byte).
    CHECK(text::trim("\0a\0"sv) == "\0a\0"sv);
    CHECK(text::trim("\x7f"
                     "a\x7f") ==
          "\x7f"
          "a\x7f");
    CHECK(text::trim("\xa0"
                     "a\xa0") ==
          "\xa0"
          "a\xa0");
    CHECK(text::trim("\xc2\xa0"
                     "a") ==
          "\xc2\xa0"
          "a");
}

TEST_CASE("text: JSON's whitespace is space, tab, LF and CR, not VT nor FF") {
    CHECK(text::trim(" \t\n\r12\r\n\t ", text::kJsonBlanks) == "12");
    CHECK(text::trim_right("12 \t\n\r", text::kJsonBlanks) == "12");
    CHECK(text::trim_right("12\f", text::kJsonBlanks) == "12\f");
    CHECK(text::trim("\v12\v", text::kJsonBlanks) == "\v12\v");
    CHECK(text::trim_right(" 12 ", text::kJsonBlanks) == " 12");
    CHECK(text::trim("  ", " ") == "");
}

TEST_CASE("text: iequals folds the case of ASCII letters on both sides, and nothing else") {
    CHECK(text::iequals("", ""));
    CHECK(text::iequals("Authorization", "authorization"));
    CHECK(text::iequals("authorization", "AUTHORIZATION"));
    CHECK(text::iequals("AuDiO/X-MuLaW", "audio/x-mulaw"));
    CHECK(text::iequals("audio/x-mulaw", "AUDIO/X-MULAW"));
    CHECK_FALSE(text::iequals("bearer", "bearer "));
    CHECK_FALSE(text::iequals("bearer", "beare"));
    CHECK_FALSE(text::iequals("", "a"));
    // Characters 0x20 apart that are not letters are different.
    CHECK_FALSE(text::iequals("@", "`"));
    CHECK_FALSE(text::iequals("[", "{"));
    CHECK_FALSE(text::iequals("^", "~"));
    // Bytes above 0x7F compare exactly (no locale): UTF-8 É and é differ.
    CHECK_FALSE(text::iequals("\xc3\x89", "\xc3\xa9"));
    CHECK(text::iequals("\xc3\xa9t\xc3\xa9", "\xc3\xa9T\xc3\xa9"));
}

TEST_CASE("text: istarts_with, case folding and hex digits") {
    CHECK(text::istarts_with("SHA256=abc", "sha256="));
    CHECK(text::istarts_with("sha256=", "SHA256="));
    CHECK(text::istarts_with("abc", ""));
    CHECK_FALSE(text::istarts_with("sha256", "sha256="));
    CHECK_FALSE(text::istarts_with("xsha256=", "sha256="));

    CHECK(text::to_lower('A') == 'a');
    CHECK(text::to_lower('Z') == 'z');
    CHECK(text::to_lower('a') == 'a');
    CHECK(text::to_lower('@') == '@');
    CHECK(text::to_lower('[') == '[');
    CHECK(text::to_lower('\xc9') == '\xc9');
    CHECK(text::to_upper('a') == 'A');
    CHECK(text::to_upper('z') == 'Z');
    CHECK(text::to_upper('`') == '`');
    CHECK(text::to_upper('{') == '{');
    CHECK(text::to_upper('\xe9') == '\xe9');

    const std::string_view digits = "0123456789abcdefABCDEF";
    const int values[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                          11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15};
    for (std::size_t i = 0; i < digits.size(); ++i) CHECK(text::hex_value(digits[i]) == values[i]);
    for (const char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0', '\xff'})
        CHECK(text::hex_value(c) == -1);
}

TEST_CASE("text: normalize_words lowercases, drops apostrophes, splits on the rest") {
    using V = std::vector<std::string>;
    CHECK(text::normalize_words("What's your OPENING-hours?") ==
          V{"whats", "your", "opening", "hours"});
    CHECK(text::normalize_words("  ,.!  ") == V{});
    CHECK(text::normalize_words("[dtmf 5]") == V{"dtmf", "5"});
    CHECK(text::normalize_words("caf\xc3\xa9 ok") == V{"caf\xc3\xa9", "ok"});  // UTF-8 is a letter
    CHECK(text::normalize_words("don't\tstop") == V{"dont", "stop"});
}

TEST_CASE("text: contains_words finds a phrase as a run of whole words") {
    const auto words = text::normalize_words("um what are your opening hours please");
    CHECK(text::contains_words(words, text::normalize_words("opening hours")));
    CHECK(text::contains_words(words, text::normalize_words("um")));
    CHECK(text::contains_words(words, text::normalize_words("please")));
    CHECK_FALSE(text::contains_words(words, text::normalize_words("hours opening")));
    CHECK_FALSE(text::contains_words(words, text::normalize_words("open")));  // not a whole word
    CHECK_FALSE(text::contains_words(words, {}));
    CHECK_FALSE(text::contains_words({}, text::normalize_words("um")));
    CHECK_FALSE(text::contains_words(text::normalize_words("opening"),
                                     text::normalize_words("opening hours")));
}
