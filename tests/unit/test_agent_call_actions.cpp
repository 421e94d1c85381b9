// Actions from the LLM replayed against a virtual clock: they run when the words before them
// have played, not when the model emits them.
#include <doctest/doctest.h>

#include <algorithm>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

// When the media server will have played everything sent before sim.sent[upto].
std::int64_t playout_end_before(const Sim& sim, std::size_t upto) {
    std::int64_t end = 0;
    for (std::size_t i = 0; i < upto; ++i) {
        const Sent& s = sim.sent[i];
        if (s.kind == "break") end = std::min(end, s.at_us);
        if (s.kind != "audio") continue;
        end = std::max(end, s.at_us) + static_cast<std::int64_t>(s.samples) * 1'000'000 / s.rate;
    }
    return end;
}

std::size_t index_of(const Sim& sim, std::string_view kind) {
    for (std::size_t i = 0; i < sim.sent.size(); ++i)
        if (sim.sent[i].kind == kind) return i;
    return sim.sent.size();
}

// A call without a greeting whose one reply is `steps`.
struct ActionCall {
    explicit ActionCall(std::vector<LlmStep> steps, CallConfig cfg = basic_config())
        : sim([&] {
              cfg.greeting.clear();
              return cfg;
          }()) {
        sim.world->script = [steps](const providers::LlmRequest&) { return steps; };
        sim.world->transcripts = {"put me through"};
        sim.silence(100);
        sim.speak(500);
    }
    Sim sim;
};

std::vector<LlmStep> say_then(std::string_view text, std::vector<Action> actions,
                              std::string_view after = {}) {
    auto steps = FakeWorld::words(text);
    for (auto& a : actions) steps.push_back({"", a});
    for (auto& s : FakeWorld::words(after)) steps.push_back(s);
    return steps;
}

}  // namespace

TEST_CASE("agent: a transfer runs when the words before it have played") {
    ActionCall c(say_then("Let me put you through to sales.",
                          {Action{ActionKind::transfer, "+33182880001"}}));
    Sim& sim = c.sim;
    REQUIRE(sim.silence_until([&] { return sim.count("transfer") == 1; }, 5000));
    const std::size_t at = index_of(sim, "transfer");
    const Sent& tr = sim.sent[at];
    CHECK(tr.text == R"({"event":"transfer","data":33182880001})");
    // Every audio chunk before it has played, and the command was not late either (the host
    // polled at next_wakeup_us()).
    const std::int64_t played = playout_end_before(sim, at);
    REQUIRE(sim.count("audio") > 0);
    CHECK(tr.at_us >= played - 100'000);  // the last chunk was padded to 100 ms with silence
    CHECK(tr.at_us <= played);
    const std::int64_t speech_ms = 32 * 60;  // 32 characters of fake voice
    const TurnMetrics t = sim.call->turns().at(0);
    CHECK(tr.at_us - t.first_frame_us == doctest::Approx(speech_ms * 1000).epsilon(0.01));
    // The LLM emitted the action long before (with its last token).
    CHECK(t.first_token_us < tr.at_us - 1'000'000);
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 2000));
    REQUIRE(sim.finished[0].actions.size() == 1);
    CHECK(sim.finished[0].actions[0].kind == ActionKind::transfer);
    CHECK(sim.count("transfer") == 1);
}

TEST_CASE("agent: digits between two sentences run at the end of the first one") {
    ActionCall c(say_then("Dialing the extension now.", {Action{ActionKind::digits, "123#"}},
                          " Please hold the line."));
    Sim& sim = c.sim;
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 6000));
    REQUIRE(sim.count("digits") == 1);
    const Sent& d = sim.sent[index_of(sim, "digits")];
    CHECK(d.text == R"({"event":"digits","data":"123#"})");
    const TurnMetrics t = sim.finished[0];
    // "Dialing the extension now." is 26 characters: 1.56 s of the fake voice.
    CHECK(d.at_us - t.first_frame_us == doctest::Approx(1'560'000).epsilon(0.005));
    // The words after it were still said, and heard.
    CHECK(t.heard_text == "Dialing the extension now. Please hold the line.");
    CHECK(t.playout_end_us - d.at_us == doctest::Approx(21 * 60'000).epsilon(0.1));
}

TEST_CASE("agent: play and end_call, the bot hangs up after the goodbye has played") {
    ActionCall c(say_then("Here is our jingle. Goodbye!",
                          {Action{ActionKind::play, "https://example.com/jingle.mp3"},
                           Action{ActionKind::end_call, ""}},
                          " This is never said."));
    Sim& sim = c.sim;
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 6000));
    CHECK(sim.count("play") == 1);
    CHECK(sim.sent[index_of(sim, "play")].text ==
          R"({"event":"play","file":"https://example.com/jingle.mp3"})");
    REQUIRE(sim.count("close") == 1);
    const std::size_t close_at = index_of(sim, "close");
    const Sent& cl = sim.sent[close_at];
    CHECK(cl.text == "end_call");
    CHECK(close_at == sim.sent.size() - 1);
    // hangup_grace_ms (200) after the goodbye played (its last chunk padded to 100 ms).
    const std::int64_t played = playout_end_before(sim, close_at);
    CHECK(cl.at_us - played >= 100'000);
    CHECK(cl.at_us - played <= 200'000);
    CHECK(sim.call->end_reason() == "end_call");
    CHECK(sim.call->finished());
    const TurnMetrics t = sim.call->turns().at(0);
    CHECK(t.heard_text == "Here is our jingle. Goodbye!");
    REQUIRE(t.actions.size() == 2);
    CHECK(t.actions[1].kind == ActionKind::end_call);
    for (const auto& text : sim.world->tts_texts) CHECK(text.find("never") == std::string::npos);
    // Nothing happens after the end, whatever the peer still sends.
    const std::size_t n = sim.sent.size();
    sim.speak(300);
    sim.text(R"({"event":"call_end"})");
    sim.call->on_closed("gone", sim.now);
    sim.collect();
    CHECK(sim.sent.size() == n);
    CHECK(sim.call->end_reason() == "end_call");
    CHECK(sim.call->next_wakeup_us() == Call::kNever);
}

TEST_CASE("agent: an action the protocol cannot carry is refused and counted") {
    ActionCall c(say_then("Transferring you.", {Action{ActionKind::transfer, "sales desk"}}));
    Sim& sim = c.sim;
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    CHECK(sim.count("transfer") == 0);
    CHECK(sim.call->stats().llm_errors == 1);
    CHECK(sim.finished[0].actions.empty());
    CHECK(sim.finished[0].heard_text == "Transferring you.");
}

TEST_CASE("agent: actions still pending when the caller hangs up are reported, not run") {
    ActionCall c(say_then("Let me find someone in the sales team for you, one moment please.",
                          {Action{ActionKind::transfer, "33182880001"}}));
    Sim& sim = c.sim;
    REQUIRE(sim.silence_until([&] { return sim.count("audio") > 0; }, 3000));
    sim.silence(600);
    sim.text(R"({"event":"call_end","reason":"hangup"})");
    CHECK(sim.call->ended());
    CHECK(sim.count("transfer") == 0);
    REQUIRE(sim.finished.size() == 1);
    REQUIRE(sim.finished[0].actions.size() == 1);
    CHECK(sim.finished[0].actions[0].kind == ActionKind::transfer);
}
