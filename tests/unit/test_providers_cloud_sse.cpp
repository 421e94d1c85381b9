#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "providers/cloud/sse.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers::cloud;
using namespace std::string_view_literals;

namespace {

struct Ev {
    std::string event, data, id;
    bool operator==(const Ev&) const = default;
};

std::vector<Ev> drain(SseParser& p) {
    std::vector<Ev> out;
    SseEvent e;
    while (p.next(e)) out.push_back({e.event, e.data, e.id});
    return out;
}

std::vector<Ev> parse_chunks(const std::vector<std::string_view>& chunks) {
    SseParser p;
    std::vector<Ev> out;
    for (const auto c : chunks) {
        REQUIRE(p.feed(c).ok());
        for (auto& e : drain(p)) out.push_back(std::move(e));
    }
    return out;
}

// What an OpenAI-compatible server sends for a short streamed answer, with every line ending,
// a comment (keep-alive), an event name, an id, retry, a multi-line data and a BOM in front.
const std::string kStream =
    "\xEF\xBB\xBF"
    ": keep-alive\r\n"
    "retry: 3000\r\n"
    "\r\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\r\n"
    "\r\n"
    "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n"
    "\n"
    "id: 7\r"
    "event: update\r"
    "data: line one\r"
    "data:  line two (one space kept)\r"
    "\r"
    "data\n"
    "\n"
    "event: two-lines\r\n"
    "data: first\r\n"
    "data: second\r\n"
    "\r\n"
    "unknown: x\n"
    "data: [DONE]\n"
    "\n"
    "data: cut";  // no blank line: never dispatched

const std::vector<Ev> kExpected = {
    {"",
     R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
     ""},
    {"", R"({"choices":[{"index":0,"delta":{"content":"Hello"}}]})", ""},
    {"update", "line one\n line two (one space kept)", "7"},
    {"", "", "7"},
    {"two-lines", "first\nsecond", "7"},
    {"", "[DONE]", "7"},
};

}  // namespace

TEST_CASE("providers: cloud sse parses every field form and line ending") {
    CHECK(parse_chunks({kStream}) == kExpected);
}

TEST_CASE("providers: cloud sse gives the same events byte by byte") {
    SseParser p;
    std::vector<Ev> out;
    for (const char c : kStream) {
        REQUIRE(p.feed(std::string_view(&c, 1)).ok());
        for (auto& e : drain(p)) out.push_back(std::move(e));
    }
    CHECK(out == kExpected);
}

TEST_CASE("providers: cloud sse gives the same events for every 2-chunk and 3-chunk split") {
    const std::string_view all = kStream;
    for (std::size_t i = 0; i <= all.size(); ++i) {
        CAPTURE(i);
        REQUIRE(parse_chunks({all.substr(0, i), all.substr(i)}) == kExpected);
    }
    // Three chunks around the CR/LF pairs and the BOM, where state crosses chunks.
    for (std::size_t i = 0; i < 12; ++i)
        for (std::size_t j = i; j <= all.size(); j += 7) {
            CAPTURE(i);
            CAPTURE(j);
            REQUIRE(parse_chunks({all.substr(0, i), all.substr(i, j - i), all.substr(j)}) ==
                    kExpected);
        }
}

TEST_CASE("providers: cloud sse field parsing follows the WHATWG rules") {
    // "data:x" and "data: x" are the same; only one leading space goes.
    CHECK(parse_chunks({"data:x\n\ndata: x\n\ndata:  x\n\n"}) ==
          std::vector<Ev>{{"", "x", ""}, {"", "x", ""}, {"", " x", ""}});
    // No data field: no event, and the event name does not leak into the next one.
    CHECK(parse_chunks({"event: ping\n\ndata: a\n\n"}) == std::vector<Ev>{{"", "a", ""}});
    // A colon-less line is a field name with an empty value; "data" alone is an empty line.
    CHECK(parse_chunks({"data\ndata\n\n"}) == std::vector<Ev>{{"", "\n", ""}});
    // Field names are case-sensitive; "Data" is unknown.
    CHECK(parse_chunks({"Data: a\n\n"}).empty());
    // An id with NUL is ignored; an empty id resets it.
    CHECK(parse_chunks({"id: 1\nid: a\0b\ndata: x\n\nid\ndata: y\n\n"sv}) ==
          std::vector<Ev>{{"", "x", "1"}, {"", "y", ""}});
    // Only a BOM at the very start is skipped.
    CHECK(parse_chunks({"data: a\n\n\xEF\xBB\xBF"
                        "data: b\n\n"}) == std::vector<Ev>{{"", "a", ""}});
    // A partial BOM is data.
    CHECK(parse_chunks({"\xEF\xBB"
                        "data: a\n\n"})
              .empty());
    CHECK(parse_chunks({"\xEF", "\xBB\xBF", "data: a\n\n"}) == std::vector<Ev>{{"", "a", ""}});
    // CR CR is two line ends (a blank line), CR LF is one.
    CHECK(parse_chunks({"data: a\r\r"}) == std::vector<Ev>{{"", "a", ""}});
    CHECK(parse_chunks({"data: a\r\n"}).empty());
    CHECK(parse_chunks({"data: a\r", "\n", "\r\n"}) == std::vector<Ev>{{"", "a", ""}});
}

TEST_CASE("providers: cloud sse caps one event and then refuses input") {
    SseParser p(64);
    const std::string line = "data: " + std::string(40, 'x') + "\n";
    REQUIRE(p.feed(line).ok());
    // The second data line takes the event past 64 bytes.
    const auto st = p.feed(line);
    CHECK(st.code() == Errc::too_large);
    CHECK(p.feed("\n").code() == Errc::invalid_state);
    SseEvent e;
    CHECK_FALSE(p.next(e));

    // A line with no end grows past the cap in small chunks.
    SseParser q(64);
    Status last;
    for (int i = 0; i < 20 && last.ok(); ++i) last = q.feed("data: xxxxxx");
    CHECK(last.code() == Errc::too_large);

    // Many small events in a row never hit the cap: it is per event.
    SseParser r(64);
    for (int i = 0; i < 100; ++i) {
        REQUIRE(r.feed("data: " + std::string(40, 'y') + "\n\n").ok());
        REQUIRE(r.next(e));
    }
}
