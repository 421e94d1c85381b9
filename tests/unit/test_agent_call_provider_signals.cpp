// The STT provider's own voice-activity signals beside the engine's VAD (Deepgram's
// speech_final/UtteranceEnd and SpeechStarted), and the line's encoding reaching a provider
// that takes the line's own rate.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

TEST_CASE("agent: the provider's utterance end closes the turn before the VAD's endpoint") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.world->transcripts = {"what are your opening hours"};
    sim.silence(200);
    sim.speak(600);
    sim.silence(100);
    // Too early: the caller has been quiet only 100 ms (a pause inside a sentence).
    sim.world->stt_sinks.back()->on_utterance_end();
    sim.poll_now();
    CHECK(sim.world->end_of_turns == 0);
    sim.silence(100);
    const std::int64_t signalled = sim.now;
    sim.world->stt_sinks.back()->on_utterance_end();
    sim.poll_now();
    CHECK(sim.world->end_of_turns == 1);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 4000));
    const TurnMetrics t = sim.finished.at(0);
    CHECK(t.caller_text == "what are your opening hours");
    CHECK(t.stt_final_us == signalled);
    CHECK(t.stt_final_us - t.speech_end_us <= 220'000);  // not the VAD's 500 ms
    // The VAD's own endpoint later finds no turn open: one end of turn in all.
    CHECK(sim.world->end_of_turns == 1);
}

TEST_CASE("agent: an utterance end with no turn open, or from a stale stream, does nothing") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.silence(200);
    sim.world->stt_sinks.back()->on_utterance_end();
    sim.poll_now();
    CHECK(sim.world->end_of_turns == 0);
    CHECK(sim.call->turns().empty());
}

TEST_CASE("agent: the provider's speech start confirms a barge-in the VAD already hears") {
    CallConfig cfg = basic_config();
    Sim sim(cfg);
    sim.world->transcripts = {"stop"};
    sim.silence(20);
    REQUIRE(sim.count("audio") >= 1);
    sim.silence(300);  // the greeting plays
    // Provider says speech while the line is quiet: nothing (it must be heard here too).
    sim.world->stt_sinks.back()->on_speech_started();
    sim.poll_now();
    CHECK(sim.count("break") == 0);
    // 80 ms of the caller's voice: below the 200 ms the VAD alone needs during bot speech.
    sim.speak(80);
    CHECK(sim.count("break") == 0);
    sim.world->stt_sinks.back()->on_speech_started();
    sim.poll_now();
    CHECK(sim.count("break") == 1);
    CHECK(sim.call->stats().barge_ins == 1);
    // The turn the signal opened goes on as usual: one start hint, one end of turn.
    sim.speak(200);
    sim.silence(600);
    CHECK(sim.world->speech_hints == 1);
    CHECK(sim.world->end_of_turns == 1);
}

TEST_CASE("agent: a provider at the line's own rate learns the line's encoding") {
    auto world = std::make_shared<FakeWorld>();
    world->stt_rate_hz = 0;  // the stream's own rate
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg, world, 8000);
    sim.text(
        R"({"event":"call_start","audio":{"encoding":"PCMU","sampleRate":8000,"channels":1}})");
    sim.silence(40);
    CHECK(world->stt_options.sample_rate_hz == 8000);
    CHECK(world->stt_options.line_encoding == providers::LineEncoding::pcmu);
}

TEST_CASE("agent: a resampling provider gets linear audio whatever the line carries") {
    auto world = std::make_shared<FakeWorld>();
    world->stt_rate_hz = 16000;
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg, world, 8000);
    sim.text(
        R"({"event":"call_start","audio":{"encoding":"PCMU","sampleRate":8000,"channels":1}})");
    sim.silence(40);
    CHECK(world->stt_options.sample_rate_hz == 16000);
    CHECK(world->stt_options.line_encoding == providers::LineEncoding::l16);
}
