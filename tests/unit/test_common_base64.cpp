#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/base64.hpp"

using namespace ringoverbot;

TEST_CASE("base64: RFC 4648 vectors encode and decode") {
    const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
        CHECK(base64::encode(std::string_view(plain[i])) == coded[i]);
        std::string out;
        REQUIRE(base64::decode(coded[i], out));
        CHECK(out == plain[i]);
    }
}

TEST_CASE("base64: unpadded input decodes fully (mbedTLS truncates it silently)") {
    std::vector<std::uint8_t> out;
    REQUIRE(base64::decode("//4AAX8", out));
    CHECK(out == std::vector<std::uint8_t>{0xff, 0xfe, 0x00, 0x01, 0x7f});
    std::string s;
    REQUIRE(base64::decode("Zm9vYg", s));
    CHECK(s == "foob");
}

TEST_CASE("base64: line breaks are skipped") {
    std::string s;
    REQUIRE(base64::decode("Zm9v\r\nYmFy\n", s));
    CHECK(s == "foobar");
}

TEST_CASE("base64: garbage is rejected") {
    std::string s;
    CHECK_FALSE(base64::decode("Zm9v YmFy", s));  // space
    CHECK_FALSE(base64::decode("Zm9vY", s));      // lone trailing character
    CHECK_FALSE(base64::decode("Zg==Zg==", s));   // data after padding
    CHECK_FALSE(base64::decode("Zh==", s));       // non-zero trailing bits
    CHECK_FALSE(base64::decode("Zm9v-_", s));     // url alphabet in standard mode
    CHECK_FALSE(base64::decode("====", s));
}

TEST_CASE("base64url: both alphabets and no padding") {
    const std::vector<std::uint8_t> bytes{0xfb, 0xff, 0xbf};
    CHECK(base64::encode(bytes, base64::Alphabet::url, false) == "-_-_");
    CHECK(base64::encode(bytes, base64::Alphabet::standard) == "+/+/");
    std::vector<std::uint8_t> out;
    REQUIRE(base64::decode("-_-_", out, base64::Alphabet::url));
    CHECK(out == bytes);
    REQUIRE(base64::decode("+/-_", out, base64::Alphabet::standard, true));
    CHECK(out == std::vector<std::uint8_t>{0xfb, 0xff, 0xbf});
}

TEST_CASE("base64: every byte value round-trips at every length") {
    std::vector<std::uint8_t> in;
    for (int n = 0; n < 300; ++n) {
        in.push_back(static_cast<std::uint8_t>(n * 7 + 3));
        for (bool pad : {true, false}) {
            const auto enc = base64::encode(in, base64::Alphabet::standard, pad);
            std::vector<std::uint8_t> out;
            REQUIRE(base64::decode(enc, out));
            CHECK(out == in);
        }
    }
}
