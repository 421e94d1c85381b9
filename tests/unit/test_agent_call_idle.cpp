// The idle caller replayed against a virtual clock: the reprompt's timing, the goodbye after
// idle_max_reprompts, a line hiss that is not speech, and an answer that resets the count.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

// The first audio frame sent at or after `from_us`.
std::int64_t first_audio_after(const Sim& sim, std::int64_t from_us) {
    for (const auto& s : sim.sent)
        if (s.kind == "audio" && s.at_us >= from_us) return s.at_us;
    return -1;
}

}  // namespace

TEST_CASE("agent: an idle caller is reprompted twice, then told goodbye and the call ends") {
    CallConfig cfg = basic_config();
    cfg.reprompt = "Are you still there?";
    Sim sim(cfg);
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    const std::int64_t greeting_end = sim.finished.at(0).playout_end_us;
    REQUIRE(greeting_end > 0);

    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 2; }, 9000));
    const TurnMetrics first = sim.call->turns().at(1);
    CHECK(first.reprompt);
    CHECK(first.caller_text.empty());
    CHECK(first.bot_text == "Are you still there?");
    // 8 s of silence after the greeting played, within a frame.
    const std::int64_t said = first_audio_after(sim, greeting_end + 1);
    CHECK(said - greeting_end >= 8'000'000);
    CHECK(said - greeting_end <= 8'000'000 + 20'000);
    CHECK(sim.call->stats().reprompts == 1);
    CHECK(sim.call->stats().turns == 0);  // not a caller turn

    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 3; }, 12000));
    CHECK(sim.call->turns().at(2).bot_text == "Are you still there?");
    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 4; }, 12000));
    const TurnMetrics bye = sim.call->turns().at(3);
    CHECK(bye.reprompt);
    CHECK(bye.bot_text == cfg.idle_goodbye);
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 10000));
    CHECK(sim.call->end_reason() == "idle");
    CHECK(sim.count("close") == 1);
    CHECK(sim.call->stats().reprompts == 2);
    CHECK(sim.call->stats().idle_hangups == 1);
    // The goodbye was heard whole before the close.
    CHECK(sim.call->turns().at(3).heard_text == cfg.idle_goodbye);
    // What the bot said is in the history, as for any reply.
    CHECK(sim.call->history().back().content == cfg.idle_goodbye);
}

TEST_CASE("agent: line hiss is not a caller; an answer resets the reprompts") {
    SUBCASE("steady hiss under the VAD's threshold: still reprompted") {
        Sim sim(basic_config());
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
        for (int i = 0; i < 450 && sim.call->turns().size() < 2; ++i) sim.frame(-56.0);
        REQUIRE(sim.call->turns().size() == 2);
        CHECK(sim.call->turns().at(1).reprompt);
        CHECK(sim.world->end_of_turns == 0);
    }
    SUBCASE("a caller who answers the reprompt starts the count again") {
        CallConfig cfg = basic_config();
        cfg.idle_reprompt_ms = 3000;
        cfg.idle_max_reprompts = 1;
        Sim sim(cfg);
        REQUIRE(sim.silence_until([&] { return sim.call->stats().reprompts == 1; }, 8000));
        REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 4000));
        sim.world->transcripts.push_back("yes I am here");
        sim.speak(500);
        REQUIRE(sim.silence_until([&] { return sim.finished.size() == 3; }, 8000));
        // After the answer's reply: one more reprompt, not the goodbye.
        REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 4; }, 5000));
        CHECK(sim.call->turns().at(3).bot_text == cfg.reprompt);
        CHECK(sim.call->stats().reprompts == 2);
        CHECK(sim.call->stats().idle_hangups == 0);
        REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 12000));
        CHECK(sim.call->end_reason() == "idle");
    }
    SUBCASE("idle_reprompt_ms 0: never") {
        CallConfig cfg = basic_config();
        cfg.idle_reprompt_ms = 0;
        Sim sim(cfg);
        sim.silence(30000);
        CHECK(sim.call->turns().size() == 1);
        CHECK_FALSE(sim.call->ended());
    }
}

TEST_CASE("agent: idle settings are checked") {
    auto make = [](CallConfig c) {
        Providers p;
        auto w = std::make_shared<FakeWorld>();
        p.stt = std::make_shared<FakeStt>(w);
        p.llm = std::make_shared<FakeLlm>(w);
        p.tts = std::make_shared<FakeTts>(w);
        return Call::create(std::move(c), std::move(p)).ok();
    };
    CallConfig c = basic_config();
    c.idle_reprompt_ms = 500;
    CHECK_FALSE(make(c));
    c.idle_reprompt_ms = 8000;
    c.reprompt.clear();
    CHECK_FALSE(make(c));
    c.idle_max_reprompts = 0;  // straight to the goodbye: no reprompt needed
    CHECK(make(c));
    c = basic_config();
    c.false_interruption_ms = 70000;
    CHECK_FALSE(make(c));
}
