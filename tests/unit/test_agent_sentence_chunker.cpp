#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/sentence_chunker.hpp"

using namespace ringoverbot::agent;

namespace {
std::vector<std::string> chunk(const std::vector<std::string>& tokens,
                               std::string* rest = nullptr) {
    SentenceChunker c;
    std::vector<std::string> out;
    for (const auto& t : tokens) c.push(t, out);
    const auto r = c.flush();
    if (rest) *rest = r;
    return out;
}
}  // namespace

TEST_CASE("agent: chunker emits a sentence as soon as it is complete") {
    SentenceChunker c;
    std::vector<std::string> out;
    for (const char* t : {"We are", " open from eight", " to six.", " Monday"}) c.push(t, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0] == "We are open from eight to six.");
    CHECK(c.flush() == "Monday");
}

TEST_CASE("agent: chunker keeps abbreviations, decimals and short bits together") {
    std::string rest;
    auto out = chunk({"Dr. Smith costs 3.5 euros. ", "Ok. ", "Really?! Yes, it is true. "}, &rest);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == "Dr. Smith costs 3.5 euros.");
    CHECK(out[1] == "Ok. Really?!");
    CHECK(out[2] == "Yes, it is true.");
    CHECK(rest.empty());
}

TEST_CASE("agent: chunker cuts very long sentences at a clause") {
    std::string long_text;
    for (int i = 0; i < 60; ++i) long_text += "word, ";
    auto out = chunk({long_text});
    REQUIRE(out.size() >= 1);
    for (const auto& s : out) {
        CHECK(s.size() <= 240);
        CHECK(s.back() == ',');  // cut after a clause mark, not inside a word
    }
}
