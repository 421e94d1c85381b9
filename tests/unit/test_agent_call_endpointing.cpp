// Complete-phrase endpointing replayed against a virtual clock: when the caller's words so far
// make one of the expected phrases (an interim transcript), or the STT closes a segment (a
// final), the turn ends after complete_phrase_silence_ms; a pause inside a phrase does not.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

CallConfig phrase_config() {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.expected_phrases = {"opening hours", "speak to someone"};
    cfg.speculate_after_ms = 0;  // these count the LLM's requests (speculation has its own tests)
    return cfg;                  // endpoint_silence_ms 500, complete_phrase_silence_ms 250
}

// Quiet frames until the STT is asked for the turn's final; the ms of silence it took.
int silence_until_end_of_turn(Sim& sim, int max_ms) {
    const int before = sim.world->end_of_turns;
    for (int ms = 0; ms <= max_ms; ms += 20) {
        if (sim.world->end_of_turns > before) return ms;
        sim.frame(-120);
    }
    return -1;
}

}  // namespace

TEST_CASE("agent endpointing: a complete phrase ends the turn after the short silence") {
    Sim sim(phrase_config());
    sim.world->transcripts = {"what are your opening hours"};
    sim.silence(200);
    sim.speak(400);
    sim.world->stt_sinks.back()->on_transcript("what are your opening", false, 0.9);
    sim.poll_now();
    sim.speak(300);
    sim.world->stt_sinks.back()->on_transcript("what are your opening hours", false, 0.9);
    sim.poll_now();
    const int waited = silence_until_end_of_turn(sim, 1000);
    CHECK(waited >= 240);
    CHECK(waited <= 300);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 4000));
    const TurnMetrics t = sim.finished.at(0);
    CHECK(t.stt_final_us - t.speech_end_us >= 250'000);
    CHECK(t.stt_final_us - t.speech_end_us <= 290'000);
}

TEST_CASE("agent endpointing: a pause inside a phrase gets the full endpoint silence") {
    Sim sim(phrase_config());
    sim.world->transcripts = {"i would like to speak to someone"};
    sim.silence(200);
    sim.speak(500);
    sim.world->stt_sinks.back()->on_transcript("i would like to speak to", false, 0.9);
    sim.poll_now();
    sim.silence(400);  // thinking: longer than the short silence, shorter than the endpoint
    CHECK(sim.world->end_of_turns == 0);
    sim.speak(300);
    sim.world->stt_sinks.back()->on_transcript("i would like to speak to someone", false, 0.9);
    sim.poll_now();
    const int waited = silence_until_end_of_turn(sim, 1000);
    CHECK(waited >= 240);
    CHECK(waited <= 300);
    REQUIRE(sim.silence_until([&] { return !sim.world->llm_requests.empty(); }, 2000));
    CHECK(sim.world->llm_requests[0].messages.back().content == "i would like to speak to someone");

    // A turn whose interim never makes a phrase waits the full 500 ms.
    sim.world->transcripts = {"hmm let me see"};
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 6000));
    sim.speak(400);
    sim.world->stt_sinks.back()->on_transcript("hmm let me see", false, 0.9);
    sim.poll_now();
    const int full = silence_until_end_of_turn(sim, 1000);
    CHECK(full >= 500);
    CHECK(full <= 540);
}

TEST_CASE("agent endpointing: a provider's final ends the turn after the short silence") {
    CallConfig cfg = phrase_config();
    cfg.expected_phrases.clear();  // a cloud STT without a grammar
    Sim sim(cfg);
    sim.world->transcripts = {""};
    sim.silence(200);
    sim.speak(600);
    sim.world->stt_sinks.back()->on_transcript("a cake for tomorrow", true, 0.9);
    sim.poll_now();
    CHECK(sim.world->llm_requests.empty());  // still talking: nothing is answered
    const int waited = silence_until_end_of_turn(sim, 1000);
    CHECK(waited >= 240);
    CHECK(waited <= 300);
    REQUIRE(sim.silence_until([&] { return !sim.world->llm_requests.empty(); }, 2000));
    CHECK(sim.world->llm_requests[0].messages.back().content == "a cake for tomorrow");
}
