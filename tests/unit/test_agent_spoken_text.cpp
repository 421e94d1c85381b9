#include <doctest/doctest.h>

#include "agent/spoken_text.hpp"

using namespace ringoverbot::agent;

TEST_CASE("agent: spoken text keeps only the words heard") {
    SpokenText text;
    text.add("We are open from eight to six.", 8000);
    text.add("Monday to Saturday.", 8000);
    CHECK(text.heard(0) == "");
    CHECK(text.heard(8000) == "We are open from eight to six.");
    CHECK(text.heard(16000) == "We are open from eight to six. Monday to Saturday.");
    // Half of the first sentence ("We are open fro|m..."): whole words only.
    CHECK(text.heard(4000) == "We are open");
    CHECK(text.heard(8000 + 4500) == "We are open from eight to six. Monday to");
}
