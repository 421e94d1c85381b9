// call_timeline: a call replayed against the virtual clock gives its turns, its envelopes (the
// bot's cut at the barge-in) and its marks.
#include <doctest/doctest.h>

#include "ringoverbot/timeline.hpp"
#include "test_agent_fakes.hpp"

using namespace rob_test;

TEST_CASE("agent timeline: turns, a barge-in mark at the cut, the bot's audio cut there too") {
    Sim sim(basic_config());
    const std::int64_t start = sim.now;
    sim.world->transcripts.push_back("when are you open");
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    sim.speak(600);
    REQUIRE(sim.silence_until(
        [&] { return sim.call->turns().size() > 1 && sim.call->turns()[1].first_frame_us >= 0; },
        3000));
    sim.silence(1000);
    sim.speak(400, -10.0);  // the caller talks over the reply
    REQUIRE(sim.count("break") == 1);
    const TurnMetrics& cut = sim.call->turns().at(1);
    REQUIRE(cut.interrupted);
    sim.silence(300);

    const CallTimeline t = call_timeline(*sim.call, start);
    REQUIRE(t.turns.size() == sim.call->turns().size());
    CHECK(t.start_us == start);
    CHECK(t.turns[0].said.empty());
    CHECK(t.turns[0].latency_us == sim.call->turns()[0].first_frame_us - start);
    CHECK(t.turns[1].said == "when are you open");
    CHECK(t.turns[1].heard == cut.heard_text);
    CHECK(t.turns[1].reply == cut.bot_text);
    CHECK(t.turns[1].interrupted);
    CHECK(t.turns[1].latency_us == cut.first_frame_us - cut.speech_end_us);
    CHECK(t.turns[1].latency_us > 0);
    REQUIRE(t.marks.size() == 1);
    CHECK(t.marks[0].kind == MarkKind::barge_in);
    CHECK(t.marks[0].at_us == cut.playout_end_us);

    // The caller's lane holds every frame; the bot's stops at the cut although up to a second
    // more had been sent ahead of the playout clock.
    REQUIRE_FALSE(t.caller.empty());
    CHECK(t.caller.origin_us() <= start + 20'000);
    const std::int64_t caller_end =
        t.caller.origin_us() + std::int64_t(t.caller.peaks().size()) * t.caller.bucket_us();
    CHECK(caller_end >= sim.now - 40'000);
    REQUIRE_FALSE(t.bot.empty());
    const std::int64_t bot_end =
        t.bot.origin_us() + std::int64_t(t.bot.peaks().size()) * t.bot.bucket_us();
    CHECK(bot_end <= cut.playout_end_us + t.bot.bucket_us());
    CHECK(bot_end >= cut.playout_end_us);
    // The reply was playing just before the cut.
    const auto before =
        static_cast<std::size_t>((cut.playout_end_us - t.bot.origin_us()) / t.bot.bucket_us() - 2);
    CHECK(t.bot.peaks()[before] > 1000);

    const std::string svg = render_timeline_svg(t);
    CHECK(svg.find("data-kind=\"barge_in\"") != std::string::npos);
    CHECK(svg.find("data-turns=\"2\"") != std::string::npos);
}

TEST_CASE("agent timeline: an action is marked where its reply finished playing") {
    CallConfig cfg = basic_config();
    cfg.action_confidence = 0;
    auto world = std::make_shared<FakeWorld>();
    Sim sim(cfg, world);
    world->script = [](const providers::LlmRequest&) {
        auto steps = FakeWorld::words("Putting you through.");
        steps.push_back({"", Action{ActionKind::transfer, "+33182880001"}});
        return steps;
    };
    sim.world->transcripts.push_back("sales please");
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    sim.speak(600);
    REQUIRE(sim.silence_until([&] { return sim.count("transfer") == 1; }, 6000));
    sim.silence(200);
    const CallTimeline t = call_timeline(*sim.call, 0);
    REQUIRE(t.turns.size() == 2);
    REQUIRE(t.marks.size() == 1);
    CHECK(t.marks[0].kind == MarkKind::action);
    CHECK(t.marks[0].label == "transfer +33182880001");
    CHECK(t.marks[0].at_us == sim.call->turns()[1].playout_end_us);
}
