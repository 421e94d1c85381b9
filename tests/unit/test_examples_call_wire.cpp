// The simulated media server's own base64 and JSON writer (examples/call/) write and accept
// exactly what the library's private ones did before the example stopped using them.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "call/base64.hpp"
#include "call/json_writer.hpp"
#include "common/base64.hpp"
#include "common/json_writer.hpp"

using namespace ringoverbot;

TEST_CASE("examples: call base64 encodes like the library at every length") {
    std::vector<std::uint8_t> bytes;
    for (int n = 0; n < 70; ++n) {
        std::string ours = "prefix:";
        callsim::base64_append(bytes, ours);
        CHECK(ours == "prefix:" + base64::encode(bytes));
        std::vector<std::uint8_t> back{1, 2, 3};  // cleared, not appended to
        REQUIRE(callsim::base64_decode(ours.substr(7), back));
        CHECK(back == bytes);
        bytes.push_back(static_cast<std::uint8_t>(n * 37 + 11));
    }
}

TEST_CASE("examples: call base64 accepts and refuses what the library does") {
    const char* inputs[] = {
        "",          "Zg==",     "Zg",       "Zm8=",  "Zm8",     "Zm9v", "Zm9v\r\nYmFy\n",
        "Zm9v YmFy", "Zm9vY",    "Zg==Zg==", "Zh==",  "Zm9v-_",  "====", "Zg=",
        "Zm8==",     "Zm9v====", "=Zm9v",    "Zm=9v", "//4AAX8", "+/+/", "Zm9v\t",
        "Zm9v\x80"};
    for (const char* text : inputs) {
        CAPTURE(text);
        std::vector<std::uint8_t> ours, library;
        const bool ok = callsim::base64_decode(text, ours);
        CHECK(ok == base64::decode(text, library));
        if (ok) CHECK(ours == library);
    }
}

namespace {

// The same document through either writer: every kind of value, nesting and escaping.
template <class Writer>
void write_sample(Writer& w) {
    w.begin_object()
        .field("event", "call_start")
        .key("call_id")
        .raw("1234567890123")
        .field("text", "quote \" backslash \\ \n\r\t\b\f \x01\x1f caf\xc3\xa9")
        .key("max")
        .uinteger(std::numeric_limits<std::uint64_t>::max())
        .field_bool("yes", true)
        .field_bool("no", false)
        .key("list")
        .begin_array()
        .number(0.1)
        .number(-2.5e-7)
        .number(1e21)
        .number(std::nan(""))
        .number(std::numeric_limits<double>::infinity())
        .null()
        .string("")
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .key("empty")
        .begin_object()
        .end_object()
        .end_object();
}

}  // namespace

TEST_CASE("examples: call JSON writer writes what the library's writer wrote") {
    std::string ours, library;
    callsim::JsonWriter o(ours);
    json::Writer l(library);
    write_sample(o);
    write_sample(l);
    CHECK(ours == library);
    CHECK(ours.find(R"("text":"quote \" backslash \\ \n\r\t\b\f \u0001\u001f caf)") !=
          std::string::npos);
}
