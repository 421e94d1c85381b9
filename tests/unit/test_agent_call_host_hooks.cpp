// The host's hooks into a call: the actions the call ran (Call::next_action, for a host that
// also drives the call through Ringover's REST API) and the context it adds to the LLM's
// system messages (Call::set_context).
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

std::vector<LlmStep> say_then(std::string_view text, Action action) {
    auto steps = FakeWorld::words(text);
    steps.push_back({"", action});
    return steps;
}

std::vector<Action> drain_actions(Call& call) {
    std::vector<Action> out;
    Action a;
    while (call.next_action(a)) out.push_back(a);
    return out;
}

}  // namespace

TEST_CASE("agent hooks: a transfer is handed to the host when it is sent, once") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.world->script = [](const providers::LlmRequest&) {
        return say_then("Putting you through.", Action{ActionKind::transfer, "+33182880001"});
    };
    sim.world->transcripts = {"sales please"};
    sim.silence(100);
    sim.speak(500);
    CHECK(drain_actions(*sim.call).empty());  // nothing ran yet
    REQUIRE(sim.silence_until([&] { return sim.count("transfer") == 1; }, 5000));
    const auto ran = drain_actions(*sim.call);
    REQUIRE(ran.size() == 1);
    CHECK(ran[0].kind == ActionKind::transfer);
    CHECK(ran[0].value == "+33182880001");
    CHECK(drain_actions(*sim.call).empty());
}

TEST_CASE("agent hooks: end_call reaches the host when its words have played") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.world->script = [](const providers::LlmRequest&) {
        return say_then("Goodbye.", Action{ActionKind::end_call, ""});
    };
    sim.world->transcripts = {"bye"};
    sim.silence(100);
    sim.speak(500);
    bool seen = false;
    REQUIRE(sim.silence_until(
        [&] {
            if (!seen) seen = !drain_actions(*sim.call).empty();
            return seen;
        },
        5000));
    CHECK(sim.count("audio") > 0);
    CHECK_FALSE(sim.call->ended());  // the hang-up grace is still running: the host acts first
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 2000));
    CHECK(sim.call->end_reason() == "end_call");
}

TEST_CASE("agent hooks: the host's context is a second system message of later requests") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.system_prompt = "You are a bot.";
    Sim sim(cfg);
    std::vector<std::vector<providers::Message>> seen;
    sim.world->script = [&seen](const providers::LlmRequest& req) {
        seen.push_back(req.messages);
        return FakeWorld::words("Sure.");
    };
    sim.world->transcripts = {"hello", "again"};
    sim.call->set_context("The caller is Ada.");
    sim.silence(100);
    sim.speak(500);
    REQUIRE(sim.silence_until([&] { return seen.size() == 1; }, 5000));
    REQUIRE(seen[0].size() >= 3);
    CHECK(seen[0][0].role == providers::Role::system);
    CHECK(seen[0][0].content == "You are a bot.");
    CHECK(seen[0][1].role == providers::Role::system);
    CHECK(seen[0][1].content == "The caller is Ada.");
    CHECK(seen[0][2].role == providers::Role::user);
    // Cleared: the next request has the system prompt only.
    sim.call->set_context("");
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 5000));
    sim.silence(300);
    sim.speak(500);
    REQUIRE(sim.silence_until([&] { return seen.size() == 2; }, 5000));
    CHECK(seen[1][1].role != providers::Role::system);
}
