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

TEST_CASE("agent: spoken text finds the start of the word being played") {
    SpokenText text;
    text.add("We are open.", 1200);  // 100 samples a character
    text.add("Bye.", 400);
    CHECK(text.word_start(0) == 0);
    CHECK(text.word_start(150) == 0);      // inside "We"
    CHECK(text.word_start(450) == 300);    // inside "are"
    CHECK(text.word_start(250) == 300);    // on the blank: the next word
    CHECK(text.word_start(1300) == 1200);  // inside "Bye." of the second segment
    CHECK(text.word_start(5000) == 5000);  // past the text: where it is
    // heard() drops the word word_start() repeats.
    CHECK(text.heard(450) == "We");
}
