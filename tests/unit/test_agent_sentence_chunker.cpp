#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/sentence_chunker.hpp"
#include "ringoverbot/agent.hpp"
#include "test_agent_fakes.hpp"

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

TEST_CASE("agent: reply_sentences are the texts a call asks its TTS for") {
    std::string long_clause;
    for (int i = 0; i < 50; ++i) long_clause += "and then some more, ";
    const std::string reply = "Hi. We are open from eight to six. Dr. Smith is in today. " +
                              long_clause + "and that is all. Bye now!";
    const std::vector<std::string> sentences = reply_sentences(reply);
    CHECK(sentences.size() > 4);
    CHECK(sentences.front() == "Hi. We are open from eight to six.");
    CHECK(sentences.back() == "Bye now!");
    CHECK(reply_sentences("") == std::vector<std::string>{});
    CHECK(reply_sentences("  Hello there  ") == std::vector<std::string>{"Hello there"});

    // The call engine, its LLM streaming the reply word by word, asks for exactly these.
    rob_test::Sim sim(rob_test::basic_config());
    sim.world->reply = reply;
    sim.world->ms_per_char = 5;  // a fast voice: the long reply plays in seconds
    sim.world->transcripts = {"what are your opening hours"};
    sim.silence(20);
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
    const std::size_t greeting_texts = sim.world->tts_texts.size();
    sim.speak(800);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 30000));
    std::vector<std::string> asked(sim.world->tts_texts.begin() + greeting_texts,
                                   sim.world->tts_texts.end());
    for (auto& t : asked) t.erase(0, std::string("fake-tts:").size());
    CHECK(asked == sentences);
}
