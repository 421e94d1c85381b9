// The call engine replayed against a virtual clock: greeting, turn timing, endpointing, the
// reply path and its pacing, metrics and history.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

// Every streamAudio message is 100..500 ms and the bot is never more than about a second
// ahead of the media server's playout (modelled from the send times).
void check_pacing(const Sim& sim, std::uint32_t max_lead_ms = 1000) {
    std::int64_t playout_end = 0;
    for (const auto& s : sim.sent) {
        if (s.kind == "break") playout_end = std::min(playout_end, s.at_us);
        if (s.kind != "audio") continue;
        const auto ms = s.samples * 1000 / s.rate;
        CHECK(ms >= 100);
        CHECK(ms <= 500);
        playout_end = std::max(playout_end, s.at_us) + static_cast<std::int64_t>(ms) * 1000;
        CHECK(playout_end - s.at_us <= std::int64_t{max_lead_ms} * 1000);
    }
}

}  // namespace

TEST_CASE("agent: call greets, answers one question and keeps the history") {
    Sim sim(basic_config());
    sim.world->transcripts = {"what are your opening hours"};
    sim.silence(20);  // the first frame starts the call
    REQUIRE(sim.count("audio") >= 1);
    CHECK(sim.sent.front().at_us == 1'020'000);  // the greeting starts at once
    CHECK(sim.world->tts_texts.front() == "fake-tts:Hello, how can I help?");

    // The greeting: 22 characters * 60 ms = 1.32 s of audio.
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
    const TurnMetrics g = sim.finished.at(0);
    CHECK(g.index == 0);
    CHECK(g.caller_text.empty());
    CHECK(g.bot_text == "Hello, how can I help?");
    CHECK(g.heard_text == "Hello, how can I help?");
    CHECK(g.first_frame_us == 1'020'000);
    CHECK(g.playout_end_us == doctest::Approx(1'020'000 + 1'320'000).epsilon(0.01));

    sim.speak(800);
    const std::int64_t speech_stop = sim.now;
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 8000));
    const TurnMetrics t = sim.finished.at(1);
    CHECK(t.index == 1);
    CHECK(t.caller_text == "what are your opening hours");
    CHECK(t.bot_text == "We are open from eight to six. Come and see us.");
    CHECK(t.heard_text == "We are open from eight to six. Come and see us.");
    CHECK_FALSE(t.interrupted);
    CHECK_FALSE(t.failed);
    // End of speech seen by the VAD within a frame of when the caller stopped, and the turn
    // closed after the endpointing silence (500 ms).
    CHECK(std::llabs(t.speech_end_us - speech_stop) <= 20000);
    CHECK(t.stt_final_us - t.speech_end_us >= 500'000);
    CHECK(t.stt_final_us - t.speech_end_us <= 540'000);
    CHECK(t.first_token_us >= t.stt_final_us);
    CHECK(t.first_audio_us >= t.first_token_us);
    CHECK(t.first_frame_us >= t.first_audio_us);
    CHECK(t.playout_end_us > t.first_frame_us);

    check_pacing(sim);
    const auto& h = sim.call->history();
    REQUIRE(h.size() == 3);
    CHECK(h[0].role == providers::Role::assistant);
    CHECK(h[0].content == "Hello, how can I help?");
    CHECK(h[1].content == "what are your opening hours");
    CHECK(h[2].content == "We are open from eight to six. Come and see us.");
    // The LLM saw the system prompt, the greeting and the question.
    REQUIRE(sim.world->llm_requests.size() == 1);
    const auto& req = sim.world->llm_requests[0];
    REQUIRE(req.messages.size() == 3);
    CHECK(req.messages[0].role == providers::Role::system);
    CHECK(req.messages[2].content == "what are your opening hours");
    CHECK(sim.call->stats().turns == 1);
    CHECK(sim.world->stt_samples > 0);
}
