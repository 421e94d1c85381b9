// In-band DTMF replayed against a virtual clock: keys heard in the caller's audio act like the
// `dtmf` event; their tones open no speech turn and are no speech barge-in.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

void press(Sim& sim, char key, int ms, double speech_dbfs = -120) {
    sim.key_tone = key;
    for (int t = 0; t < ms; t += 20) sim.frame(speech_dbfs);
    sim.key_tone = 0;
}

void greet(Sim& sim) {
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
}

}  // namespace

TEST_CASE("agent: a key tone on a quiet line is a key, not speech") {
    Sim sim(basic_config());
    greet(sim);
    press(sim, '5', 100);
    sim.silence(100);
    CHECK(sim.call->stats().dtmf_in == 1);
    CHECK(sim.call->stats().dtmf_inband == 1);
    CHECK(sim.world->end_of_turns == 0);  // no speech turn was opened
    CHECK(sim.world->speech_hints == 0);
    REQUIRE(sim.call->turns().size() == 2);
    CHECK(sim.call->turns().back().caller_text == "[dtmf 5]");
    CHECK(sim.world->llm_requests.back().messages.back().content == "[dtmf 5]");

    SUBCASE("two presses of the same key are two keys") {
        sim.silence(2000);
        press(sim, '5', 80);
        sim.silence(60);
        press(sim, '#', 80);
        sim.silence(200);
        CHECK(sim.call->stats().dtmf_inband == 3);
    }
    SUBCASE("the media server's event for the same press counts once") {
        sim.text(R"({"event":"dtmf","digit":"5"})");
        CHECK(sim.call->stats().dtmf_in == 1);
        sim.silence(600);
        sim.text(R"({"event":"dtmf","digit":"5"})");  // a later press is a new key
        CHECK(sim.call->stats().dtmf_in == 2);
    }
}

TEST_CASE("agent: a key tone too short for ITU timing is nothing") {
    Sim sim(basic_config());
    greet(sim);
    sim.key_tone = '7';
    sim.frame(-120);  // 20 ms: below the two 12.75 ms blocks a key needs
    sim.key_tone = 0;
    sim.silence(200);
    CHECK(sim.call->stats().dtmf_in == 0);
}

TEST_CASE("agent: a key tone inside the caller's speech is a key; the turn goes on") {
    Sim sim(basic_config());
    greet(sim);
    sim.world->transcripts.push_back("my account number");
    sim.speak(400);
    press(sim, '3', 100);
    sim.speak(400);
    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 2; }, 3000));
    CHECK(sim.call->stats().dtmf_inband == 1);
    CHECK(sim.world->end_of_turns == 1);  // one turn: the tone did not end or split it
    const std::string& said = sim.call->turns().back().caller_text;
    CHECK(said.find("[dtmf 3]") != std::string::npos);
    CHECK(said.find("my account number") != std::string::npos);
}

TEST_CASE("agent: a key tone over the bot interrupts as a key, never as speech") {
    Sim sim(basic_config());
    greet(sim);
    sim.world->transcripts.push_back("when are you open");
    sim.speak(600);
    REQUIRE(sim.silence_until(
        [&] {
            return sim.call->turns().size() == 2 && sim.call->turns().back().first_frame_us >= 0;
        },
        3000));
    sim.silence(500);
    const int hints = sim.world->speech_hints;
    press(sim, '9', 100);
    CHECK(sim.count("break") == 1);
    CHECK(sim.call->turns().at(1).interrupted);
    CHECK(sim.world->speech_hints == hints);  // no speech onset was told to the STT
    const CallStats& st = sim.call->stats();
    CHECK(st.interruptions == 1);  // a key stands at once
    CHECK(st.false_interruptions == 0);
    REQUIRE(sim.call->turns().size() == 3);
    CHECK(sim.call->turns().back().caller_text == "[dtmf 9]");
}

TEST_CASE("agent: in-band detection off: tones are left to the media server's events") {
    CallConfig cfg = basic_config();
    cfg.inband_dtmf = false;
    Sim sim(cfg);
    greet(sim);
    press(sim, '5', 100);
    sim.silence(100);
    CHECK(sim.call->stats().dtmf_in == 0);
}
