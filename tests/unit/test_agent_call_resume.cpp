// Reversible barge-in replayed against a virtual clock: a cough or a backchannel over the bot
// pauses the reply and it goes on from the cut word; real words make the interruption stand
// and the history keeps only what was heard.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "ringoverbot/timeline.hpp"
#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

const std::string kReply = "We are open from eight to six. Come and see us.";

// Greets, asks one question and returns when the reply's first frame has been sent.
std::size_t ask(Sim& sim, const std::string& question) {
    sim.world->transcripts.push_back(question);
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    const std::size_t done = sim.finished.size();
    sim.speak(600);
    REQUIRE(sim.silence_until(
        [&] {
            const auto& turns = sim.call->turns();
            return turns.size() > done && turns.back().first_frame_us >= 0;
        },
        3000));
    return sim.call->turns().size() - 1;
}

std::size_t audio_samples(const Sim& sim, std::int64_t from_us, std::int64_t to_us) {
    std::size_t n = 0;
    for (const auto& s : sim.sent)
        if (s.kind == "audio" && s.at_us >= from_us && s.at_us < to_us) n += s.samples;
    return n;
}

// Audio sent before / after the first break (in the order sent: a chunk may leave at the very
// time of the break, just before it).
std::size_t audio_around_break(const Sim& sim, bool after) {
    std::size_t n = 0;
    bool past = false;
    for (const auto& s : sim.sent) {
        if (s.kind == "break") past = true;
        if (s.kind == "audio" && past == after) n += s.samples;
    }
    return n;
}

// The reply's audio when nobody interrupts it (samples streamed, pads included).
std::size_t uninterrupted_reply_samples() {
    Sim sim(basic_config());
    const std::size_t idx = ask(sim, "when are you open");
    const std::int64_t start = sim.call->turns().at(idx).first_frame_us;
    REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 8000));
    return audio_samples(sim, start, Call::kNever);
}

// Talks over the reply until the break; returns the break's time.
std::int64_t talk_over(Sim& sim, int ms, double dbfs = -12.0) {
    std::int64_t brk = -1;
    for (int t = 0; t < ms; t += 20) {
        sim.frame(dbfs);
        if (brk < 0 && sim.count("break") > 0) brk = sim.of_kind("break").front()->at_us;
    }
    return brk;
}

}  // namespace

TEST_CASE("agent: a cough over the bot pauses it, then the reply goes on from the cut word") {
    const std::size_t whole = uninterrupted_reply_samples();
    Sim sim(basic_config());
    const std::size_t idx = ask(sim, "when are you open");
    const std::int64_t start = sim.call->turns().at(idx).first_frame_us;
    const std::size_t llm_requests = sim.world->llm_requests.size();
    const std::size_t history = sim.call->history().size();
    sim.silence(1000);
    sim.world->transcripts.push_back("");  // the cough has no words
    const std::int64_t brk = talk_over(sim, 300);
    REQUIRE(brk > 0);
    // Paused: nothing more is streamed while the caller makes a noise.
    CHECK(audio_around_break(sim, true) == 0);
    CHECK(sim.call->turns().at(idx).interrupted);
    const std::size_t heard_before =
        audio_around_break(sim, false) - audio_samples(sim, 0, start) - sim.unplayed_at_break;

    REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 10000));
    const TurnMetrics t = sim.call->turns().at(idx);
    CHECK_FALSE(t.interrupted);
    CHECK(t.resumes == 1);
    CHECK(t.heard_text == kReply);
    CHECK(sim.call->history().size() == history + 1);
    CHECK(sim.call->history().back().content == kReply);
    CHECK(sim.world->llm_requests.size() == llm_requests);  // the cough was not answered
    CHECK(sim.count("break") == 1);
    const CallStats& st = sim.call->stats();
    CHECK(st.barge_ins == 1);
    CHECK(st.false_interruptions == 1);
    CHECK(st.resumes == 1);
    CHECK(st.interruptions == 0);
    CHECK(st.misheard == 0);
    CHECK(st.fallbacks == 0);
    // The call's picture shows the pause and where the reply went on.
    REQUIRE(t.paused_us.size() == 1);
    REQUIRE(t.resumed_us.size() == 1);
    CHECK(t.resumed_us[0] > t.paused_us[0]);
    const agent::CallTimeline picture = agent::call_timeline(*sim.call, 0, sim.now);
    CHECK(std::count_if(
              picture.marks.begin(), picture.marks.end(),
              [](const agent::TimelineMark& m) { return m.kind == agent::MarkKind::resume; }) == 1);

    // The caller heard the whole reply: what played before the break plus everything sent
    // after it covers the reply, repeating at most the cut word (the longest here, "eight ",
    // is 6 characters of 60 ms) and a pad.
    const std::size_t after = audio_around_break(sim, true);
    const std::size_t rate = 8000;
    CHECK(heard_before + after >= whole);
    CHECK(heard_before + after <= whole + rate * 360 / 1000 + rate / 10);
    // It went on about when the noise's turn ended (500 ms of silence), not a second later.
    const auto& sent = sim.sent;
    const auto first_after = std::find_if(sent.begin(), sent.end(), [&](const Sent& s) {
        return s.kind == "audio" && s.at_us > brk;
    });
    REQUIRE(first_after != sent.end());
    CHECK(first_after->at_us - brk <= 300'000 + 520'000);
}

TEST_CASE("agent: a backchannel over the bot resumes it; real words interrupt it") {
    SUBCASE("uh-huh resumes, and is neither answered nor kept") {
        Sim sim(basic_config());
        const std::size_t idx = ask(sim, "when are you open");
        const std::size_t llm_requests = sim.world->llm_requests.size();
        sim.silence(800);
        sim.world->transcripts.push_back("uh-huh");
        REQUIRE(talk_over(sim, 400) > 0);
        REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 10000));
        const TurnMetrics t = sim.call->turns().at(idx);
        CHECK_FALSE(t.interrupted);
        CHECK(t.heard_text == kReply);
        CHECK(sim.world->llm_requests.size() == llm_requests);
        for (const auto& m : sim.call->history()) CHECK(m.content.find("uh") == std::string::npos);
        CHECK(sim.call->stats().false_interruptions == 1);
        CHECK(sim.call->stats().resumes == 1);
    }
    SUBCASE("fewer words than min_interruption_words resume") {
        CallConfig cfg = basic_config();
        cfg.min_interruption_words = 3;
        Sim sim(cfg);
        const std::size_t idx = ask(sim, "when are you open");
        sim.silence(800);
        sim.world->transcripts.push_back("no wait");
        REQUIRE(talk_over(sim, 400) > 0);
        REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 10000));
        CHECK_FALSE(sim.call->turns().at(idx).interrupted);
        CHECK(sim.call->stats().false_interruptions == 1);
    }
    SUBCASE("a backchannel word answering a confirmation question is an answer") {
        Sim sim(basic_config());
        sim.world->script = [](const providers::LlmRequest& req) {
            auto steps = FakeWorld::words("Goodbye then.");
            if (req.messages.back().content == "bye")
                steps.push_back({"", Action{ActionKind::end_call, {}}});
            return steps;
        };
        sim.world->confidences = {0.6};  // "bye" is doubtful: the end is confirmed first
        const std::size_t idx = ask(sim, "bye");
        REQUIRE(sim.call->turns().at(idx).confirmation);
        sim.world->transcripts.push_back("yeah");
        REQUIRE(talk_over(sim, 300) > 0);
        sim.silence(1500);
        CHECK(sim.call->turns().at(idx).interrupted);
        CHECK(sim.call->stats().confirmed == 1);
        CHECK(sim.call->stats().interruptions == 1);
    }
    SUBCASE("a real interruption keeps only what was heard and is answered") {
        Sim sim(basic_config());
        const std::size_t idx = ask(sim, "when are you open");
        sim.silence(1000);
        sim.world->transcripts.push_back("and on sunday");
        const std::int64_t brk = talk_over(sim, 500);
        REQUIRE(brk > 0);
        sim.silence(400);  // the caller's turn is still open: nothing yet
        CHECK(audio_around_break(sim, true) == 0);
        REQUIRE(sim.silence_until([&] { return sim.call->turns().size() > idx + 1; }, 3000));
        const TurnMetrics t = sim.call->turns().at(idx);
        CHECK(t.interrupted);
        CHECK(t.resumes == 0);
        CHECK(t.playout_end_us == brk);
        REQUIRE_FALSE(t.heard_text.empty());
        CHECK(kReply.rfind(t.heard_text, 0) == 0);
        CHECK(t.heard_text.size() < kReply.size());
        const auto& msgs = sim.world->llm_requests.back().messages;
        REQUIRE(msgs.size() >= 2);
        CHECK(msgs[msgs.size() - 2].content == t.heard_text);
        CHECK(msgs.back().content == "and on sunday");
        const CallStats& st = sim.call->stats();
        CHECK(st.interruptions == 1);
        CHECK(st.false_interruptions == 0);
        CHECK(st.resumes == 0);
    }
    SUBCASE("the bot's own words heard around the noise (its echo) resume it") {
        // Over a speakerphone the STT's turn holds the bot's echo around a cough.
        Sim sim(basic_config());
        const std::size_t idx = ask(sim, "when are you open");
        sim.silence(800);
        sim.world->transcripts.push_back("are open");
        REQUIRE(talk_over(sim, 300) > 0);
        REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 10000));
        const TurnMetrics t = sim.call->turns().at(idx);
        CHECK_FALSE(t.interrupted);
        CHECK(t.heard_text == kReply);
        CHECK(sim.call->stats().false_interruptions == 1);
        CHECK(sim.call->stats().resumes == 1);
        CHECK(sim.call->stats().interruptions == 0);
    }
    SUBCASE("the reply's words from long before the pause still interrupt") {
        Sim sim(basic_config());
        sim.world->script = [](const providers::LlmRequest&) {
            return FakeWorld::words(
                "We are open from eight to six. Come and see us, we bake bread every morning.");
        };
        const std::size_t idx = ask(sim, "when are you open");
        sim.silence(3500);  // "we are open" played more than kEchoWordsMs before the pause
        sim.world->transcripts.push_back("we are open");
        REQUIRE(talk_over(sim, 300) > 0);
        REQUIRE(sim.silence_until([&] { return sim.call->turns().size() > idx + 1; }, 3000));
        CHECK(sim.call->turns().at(idx).interrupted);
        CHECK(sim.call->stats().interruptions == 1);
        CHECK(sim.call->stats().resumes == 0);
    }
    SUBCASE("false_interruption_ms 0: every barge-in stands at once") {
        CallConfig cfg = basic_config();
        cfg.false_interruption_ms = 0;
        Sim sim(cfg);
        const std::size_t idx = ask(sim, "when are you open");
        sim.silence(800);
        REQUIRE(talk_over(sim, 300) > 0);
        CHECK(sim.call->history().back().content == sim.call->turns().at(idx).heard_text);
        CHECK(sim.call->stats().interruptions == 1);
        sim.silence(1500);
        CHECK(sim.call->stats().resumes == 0);
        CHECK(sim.call->turns().at(idx).interrupted);
    }
}

TEST_CASE("agent: a paused reply goes on when no transcript comes within false_interruption_ms") {
    Sim sim(basic_config());
    const std::size_t idx = ask(sim, "when are you open");
    sim.world->stt_mode = Mode::manual;  // the noise's final is late
    sim.silence(800);
    sim.world->transcripts.push_back("mm-hmm");
    const std::int64_t brk = talk_over(sim, 300);
    REQUIRE(brk > 0);
    // The turn ends 500 ms into the silence; the reply waits up to a second after the speech.
    sim.silence(1200);
    CHECK(audio_around_break(sim, true) == 0);
    sim.silence(400);
    CHECK(audio_around_break(sim, true) > 0);
    CHECK(sim.call->stats().resumes == 1);
    // The late backchannel is dropped: nothing answers it.
    const std::size_t llm_requests = sim.world->llm_requests.size();
    REQUIRE(sim.world->release_stt());
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 10000));
    sim.silence(1000);
    CHECK(sim.world->llm_requests.size() == llm_requests);
    CHECK(sim.call->turns().at(idx).heard_text == kReply);
}

TEST_CASE("agent: a key while the reply is paused makes the interruption stand") {
    Sim sim(basic_config());
    const std::size_t idx = ask(sim, "when are you open");
    sim.silence(800);
    sim.world->transcripts.push_back("");
    REQUIRE(talk_over(sim, 300) > 0);
    sim.text(R"({"event":"dtmf","digit":"1"})");
    CHECK(sim.call->turns().at(idx).interrupted);
    CHECK(sim.call->stats().interruptions == 1);
    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() > idx + 1; }, 3000));
    CHECK(sim.call->turns().back().caller_text == "[dtmf 1]");
    CHECK(sim.call->stats().resumes == 0);
}
