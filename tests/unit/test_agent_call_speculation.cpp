// The speculative reply replayed against a virtual clock: the LLM is asked on the interim
// transcript at a short pause; the reply is kept when the final says the same words, and
// cancelled (never a word of it played) when the final differs, when the caller goes on with
// other words, or when the gates reject the turn. An LLM that replies at once is never asked
// speculatively.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

CallConfig spec_config() {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    return cfg;  // speculate_after_ms 200, endpoint_silence_ms 500
}

// Each request is answered "Reply to <its last user message>." so a test sees which was said.
std::shared_ptr<FakeWorld> echo_world() {
    auto w = std::make_shared<FakeWorld>();
    w->llm_mode = Mode::manual;
    w->script = [](const providers::LlmRequest& r) {
        return FakeWorld::words("Reply to " + r.messages.back().content + ".");
    };
    return w;
}

bool said(const Sim& sim, std::string_view words) {
    for (const auto& t : sim.world->tts_texts)
        if (t.find(words) != std::string::npos) return true;
    return false;
}

void interim(Sim& sim, std::string_view text) {
    sim.world->stt_sinks.back()->on_transcript(text, false, 0.9);
    sim.poll_now();
}

// The caller speaks, the interim arrives; then quiet until the speculative request is made.
// Returns the ms of silence it took (-1: none came).
int speak_then_pause(Sim& sim, std::string_view words) {
    sim.speak(600);
    interim(sim, words);
    const std::size_t before = sim.world->llm_requests.size();
    for (int ms = 0; ms <= 600; ms += 20) {
        if (sim.world->llm_requests.size() > before) return ms;
        sim.frame(-120);
    }
    return -1;
}

}  // namespace

TEST_CASE(
    "agent speculation: the same final keeps the speculative reply; nothing plays before it") {
    Sim sim(spec_config(), echo_world());
    sim.world->transcripts = {"What time do you open?"};
    sim.silence(200);
    const int paused = speak_then_pause(sim, "what time do you open");
    CHECK(paused >= 200);
    CHECK(paused <= 260);
    REQUIRE(sim.world->llm_requests.size() == 1);
    CHECK(sim.world->llm_requests[0].messages.back().content == "what time do you open");
    CHECK(sim.world->end_of_turns == 0);  // the turn is still open

    // The whole reply streams in before the turn is final: buffered, not synthesized.
    sim.world->release_llm_all(0);
    sim.poll_now();
    CHECK(sim.world->tts_texts.empty());
    CHECK(sim.count("audio") == 0);

    REQUIRE(sim.silence_until([&] { return sim.world->end_of_turns == 1; }, 600));
    REQUIRE(sim.silence_until([&] { return sim.count("audio") > 0; }, 200));
    CHECK(sim.world->llm_requests.size() == 1);  // no second request
    CHECK(sim.call->stats().speculations_kept == 1);
    CHECK(sim.call->stats().speculations_cancelled == 0);
    CHECK(said(sim, "Reply to what time do you open."));
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    const TurnMetrics& t = sim.finished[0];
    CHECK(t.speculative);
    CHECK(t.caller_text == "What time do you open?");
    CHECK(t.bot_text == "Reply to what time do you open.");
    CHECK(t.first_token_us >= t.stt_final_us);  // replayed when the turn was answered
    const auto& h = sim.call->history();
    REQUIRE(h.size() == 2);
    CHECK(h[0].content == "What time do you open?");
    CHECK(h[1].content == "Reply to what time do you open.");
}

TEST_CASE("agent speculation: a kept request still streaming goes on as the reply") {
    Sim sim(spec_config(), echo_world());
    sim.world->transcripts = {"what time do you open"};
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "what time do you open") >= 0);
    REQUIRE(sim.world->release_llm_step(0));  // one token before the final
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.call->stats().speculations_kept == 1; }, 600));
    CHECK(sim.world->tts_texts.empty());  // the sentence is not complete yet
    sim.world->release_llm_all(0);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK(sim.finished[0].bot_text == "Reply to what time do you open.");
    CHECK(sim.world->llm_requests.size() == 1);
}

TEST_CASE("agent speculation: another final cancels it; its words are never played") {
    Sim sim(spec_config(), echo_world());
    sim.world->transcripts = {"what time do you close"};
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "what time do you open") >= 0);
    sim.world->release_llm_all(0);  // its reply is complete and waiting
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.world->llm_requests.size() == 2; }, 700));
    CHECK(sim.world->llm_requests[1].messages.back().content == "what time do you close");
    CHECK(sim.call->stats().speculations_cancelled == 1);
    CHECK(sim.call->stats().speculations_kept == 0);
    CHECK(sim.world->llm_cancelled == 1);
    sim.world->release_llm_all(1);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK_FALSE(said(sim, "open"));
    CHECK(said(sim, "Reply to what time do you close."));
    CHECK_FALSE(sim.finished[0].speculative);
    CHECK(sim.call->history().back().content == "Reply to what time do you close.");
}

TEST_CASE(
    "agent speculation: the caller going on with other words cancels it, the next pause asks "
    "again") {
    Sim sim(spec_config(), echo_world());
    sim.world->transcripts = {"i would like a cake"};
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "i would like") >= 0);
    sim.speak(400);
    interim(sim, "i would like");  // the same words: still good
    CHECK(sim.call->stats().speculations_cancelled == 0);
    interim(sim, "i would like a cake");
    CHECK(sim.call->stats().speculations_cancelled == 1);
    CHECK(sim.world->llm_cancelled == 1);
    REQUIRE(sim.silence_until([&] { return sim.world->llm_requests.size() == 2; }, 300));
    CHECK(sim.world->llm_requests[1].messages.back().content == "i would like a cake");
    sim.world->release_llm_all(1);
    sim.world->release_llm_all(0);  // the cancelled one talks late: dropped
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK(sim.call->stats().speculations_kept == 1);
    CHECK(sim.world->llm_requests.size() == 2);
    CHECK(sim.finished[0].bot_text == "Reply to i would like a cake.");
    CHECK_FALSE(said(sim, "Reply to i would like."));
}

TEST_CASE("agent speculation: a final rejected by the confidence gate never plays it") {
    Sim sim(spec_config(), echo_world());
    sim.world->transcripts = {"what time do you open"};
    sim.world->confidences = {0.3};  // below min_confidence 0.5: misheard
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "what time do you open") >= 0);
    sim.world->release_llm_all(0);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK(sim.finished[0].misheard);
    CHECK(sim.call->stats().speculations_cancelled == 1);
    CHECK(sim.call->stats().speculations_kept == 0);
    CHECK(sim.world->llm_requests.size() == 1);
    CHECK_FALSE(said(sim, "Reply to"));
    CHECK(said(sim, "Sorry, could you say that again?"));
    for (const auto& m : sim.call->history()) CHECK(m.role != providers::Role::user);
}

TEST_CASE("agent speculation: a doubtful end_call is confirmed first, the kept reply held") {
    auto w = echo_world();
    w->script = [](const providers::LlmRequest&) {
        auto steps = FakeWorld::words("Goodbye.");
        steps.push_back({"", Action{ActionKind::end_call, {}}});
        return steps;
    };
    Sim sim(spec_config(), w);
    sim.world->transcripts = {"bye"};
    sim.world->confidences = {0.6};  // above min_confidence, below action_confidence
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "bye") >= 0);
    sim.world->release_llm_all(0);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK(sim.call->stats().speculations_kept == 1);
    CHECK(sim.finished[0].confirmation);
    CHECK(said(sim, "Do you want me to end the call?"));
    CHECK_FALSE(said(sim, "Goodbye."));
    CHECK(sim.count("close") == 0);
}

TEST_CASE("agent speculation: off when the LLM replies at once, or speculate_after_ms is 0") {
    for (const bool at_once : {true, false}) {
        CAPTURE(at_once);
        CallConfig cfg = spec_config();
        if (!at_once) cfg.speculate_after_ms = 0;
        auto w = std::make_shared<FakeWorld>();
        w->llm_at_once = at_once;
        Sim sim(cfg, w);
        sim.world->transcripts = {"what time do you open"};
        sim.silence(200);
        sim.speak(600);
        interim(sim, "what time do you open");
        sim.silence(400);  // past speculate_after_ms, short of the 500 ms endpoint
        CHECK(sim.world->end_of_turns == 0);
        CHECK(sim.world->llm_requests.empty());
        REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
        CHECK(sim.world->llm_requests.size() == 1);
        CHECK(sim.call->stats().speculations_kept == 0);
        CHECK(sim.call->stats().speculations_cancelled == 0);
        CHECK_FALSE(sim.finished[0].speculative);
    }
}

TEST_CASE("agent speculation: a provider error cancels it; the answer asks afresh") {
    auto w = echo_world();
    w->llm_fail_count = 1;  // the speculative request fails
    Sim sim(spec_config(), w);
    sim.world->transcripts = {"what time do you open"};
    sim.silence(200);
    REQUIRE(speak_then_pause(sim, "what time do you open") >= 0);
    sim.poll_now();  // the error it reported on start
    CHECK(sim.call->stats().speculations_cancelled == 1);
    REQUIRE(sim.silence_until([&] { return sim.world->llm_requests.size() == 2; }, 700));
    sim.world->release_llm_all(0);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 10000));
    CHECK(sim.finished[0].bot_text == "Reply to what time do you open.");
    CHECK(sim.call->stats().llm_errors == 0);  // the reply itself did not fail
    CHECK_FALSE(sim.finished[0].failed);
}
