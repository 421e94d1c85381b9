#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "common/json_writer.hpp"

using namespace ringoverbot;

TEST_CASE("json: strings are escaped per RFC 8259, UTF-8 passes") {
    std::string out;
    json::append_string(out, "a\"b\\c\nd\re\tf\x01g\x1f caf\xc3\xa9 \xe2\x82\xac");
    CHECK(out == "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f caf\xc3\xa9 \xe2\x82\xac\"");
}

TEST_CASE("json: writer places commas and nests") {
    std::string out;
    json::Writer w(out);
    w.begin_object()
        .field("event", "digits")
        .key("data")
        .begin_array()
        .integer(1)
        .uinteger(18446744073709551615ull)
        .number(0.5)
        .boolean(true)
        .null()
        .begin_object()
        .end_object()
        .end_array()
        .end_object();
    CHECK(out == R"({"event":"digits","data":[1,18446744073709551615,0.5,true,null,{}]})");
}

TEST_CASE("json: non-finite doubles become null") {
    std::string out;
    json::append_double(out, std::numeric_limits<double>::infinity());
    CHECK(out == "null");
}

TEST_CASE("json: UTF-8 validation") {
    CHECK(json::valid_utf8("caf\xc3\xa9"));
    CHECK_FALSE(json::valid_utf8("\xc3"));          // truncated
    CHECK_FALSE(json::valid_utf8("\xc0\xaf"));      // overlong
    CHECK_FALSE(json::valid_utf8("\xed\xa0\x80"));  // surrogate
    CHECK_FALSE(json::valid_utf8("\xff"));
}
