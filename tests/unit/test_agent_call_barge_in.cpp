// Barge-in replayed against a virtual clock: the break's timing, what the history keeps, the
// echo gate, DTMF and the speculative reply cut before it was heard.
#include <doctest/doctest.h>

#include <algorithm>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

// Greets, lets the greeting play, asks one question and stops when the reply's first frame
// has been sent. Returns the index of that reply's turn.
std::size_t ask_and_wait_for_reply(Sim& sim, const std::string& question) {
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

}  // namespace

TEST_CASE("agent: barge-in sends break in the deciding frame and keeps only what was heard") {
    CallConfig cfg = basic_config();
    cfg.barge_in_ms = 200;
    Sim sim(cfg);
    const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
    sim.silence(1000);  // about a second of the reply plays
    const std::size_t audio_before = sim.count("audio");
    REQUIRE(audio_before > 0);
    CHECK(sim.count("break") == 0);
    sim.world->transcripts.push_back("wait");  // words: the interruption will stand

    const std::int64_t onset = sim.now + Sim::kFrameUs;  // the first speech frame arrives then
    std::int64_t decided = -1;
    for (int i = 0; i < 20 && decided < 0; ++i) {
        sim.frame(-10.0);
        if (sim.count("break") > 0) decided = sim.now;
    }
    REQUIRE(decided > 0);
    const Sent& brk = *sim.of_kind("break").front();
    // The break went out from the very on_message() that confirmed the barge-in...
    CHECK(brk.at_us == decided);
    // ...which is barge_in_ms (200 here) of speech after the onset, within one 20 ms frame.
    CHECK(decided - onset >= 180'000);
    CHECK(decided - onset <= 200'000 + 20'000);
    CHECK(sim.call->stats().barge_ins == 1);

    const TurnMetrics t = sim.call->turns().at(idx);
    CHECK(t.interrupted);
    CHECK(t.playout_end_us == decided);
    // What the caller heard: the reply's words in proportion to the time played (60 ms a
    // character in the fake voice), cut at a word boundary.
    const std::string full = "We are open from eight to six. Come and see us.";
    CHECK(t.bot_text == full);
    REQUIRE_FALSE(t.heard_text.empty());
    CHECK(full.rfind(t.heard_text, 0) == 0);  // a prefix
    CHECK(t.heard_text.size() < full.size());
    const double played_chars = double(decided - t.first_frame_us) / 60'000.0;
    CHECK(double(t.heard_text.size()) <= played_chars);
    CHECK(double(t.heard_text.size()) >= played_chars - 8);  // at most one word lost

    // Nothing of the cut reply is sent after the break while the caller talks...
    sim.silence(400);
    CHECK(std::none_of(sim.sent.begin(), sim.sent.end(),
                       [&](const Sent& s) { return s.kind == "audio" && s.at_us > decided; }));
    // ...and once the caller's words make the interruption stand, the history keeps only what
    // was heard, and the words are answered.
    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() > idx + 1; }, 3000));
    CHECK(sim.call->turns().at(idx).heard_text == t.heard_text);
    const auto& msgs = sim.world->llm_requests.back().messages;
    REQUIRE(msgs.size() >= 3);
    CHECK(msgs[msgs.size() - 2].role == providers::Role::assistant);
    CHECK(msgs[msgs.size() - 2].content == t.heard_text);
    CHECK(msgs.back().content == "wait");
    CHECK(sim.call->stats().interruptions == 1);
    sim.silence(500);
    // The cut turn was reported once, as interrupted.
    const auto cut = std::count_if(sim.finished.begin(), sim.finished.end(),
                                   [&](const TurnMetrics& m) { return m.index == t.index; });
    CHECK(cut == 1);
    CHECK(std::all_of(sim.finished.begin(), sim.finished.end(),
                      [&](const TurnMetrics& m) { return m.index != t.index || m.interrupted; }));
}

TEST_CASE("agent: the bot's own echo does not interrupt it, the caller does") {
    SUBCASE("echo 12 dB down under the gate: the whole reply plays") {
        Sim sim(basic_config());
        sim.echo_db = -12.0;
        const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
        REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 6000));
        CHECK(sim.count("break") == 0);
        CHECK_FALSE(sim.call->turns().at(idx).interrupted);
        CHECK(sim.call->stats().barge_ins == 0);
        CHECK(sim.call->turns().at(idx).heard_text == sim.call->turns().at(idx).bot_text);
    }
    SUBCASE("the same echo with the gate assuming 40 dB of loss: the bot interrupts itself") {
        CallConfig cfg = basic_config();
        cfg.echo_return_loss_db = 40.0;
        cfg.echo_cancellation = false;  // the gate alone
        Sim sim(cfg);
        sim.echo_db = -12.0;
        sim.world->transcripts.push_back("when are you open");
        sim.silence(3000);
        CHECK(sim.count("break") >= 1);  // the greeting's own echo cut it
    }
    SUBCASE("the caller talking over the echo barges in") {
        Sim sim(basic_config());
        sim.echo_db = -12.0;
        const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
        sim.silence(500);
        sim.speak(300, -8.0);
        CHECK(sim.count("break") == 1);
        CHECK(sim.call->turns().at(idx).interrupted);
    }
}

TEST_CASE("agent: without barge-in the caller waits for the reply, then is answered") {
    CallConfig cfg = basic_config();
    cfg.allow_barge_in = false;
    Sim sim(cfg);
    const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
    sim.world->transcripts.push_back("and on sunday");
    sim.speak(400, -10.0);
    REQUIRE(sim.silence_until([&] { return sim.call->turns().size() > idx + 1; }, 8000));
    CHECK(sim.count("break") == 0);
    const TurnMetrics first = sim.call->turns().at(idx);
    CHECK_FALSE(first.interrupted);
    CHECK(first.heard_text == first.bot_text);
    // The second answer started only after the first had played out.
    const TurnMetrics second = sim.call->turns().at(idx + 1);
    CHECK(second.caller_text == "and on sunday");
    REQUIRE(second.first_frame_us > 0);
    CHECK(second.first_frame_us >= first.playout_end_us);
}

TEST_CASE("agent: a key pressed while the bot talks interrupts it and reaches the LLM") {
    Sim sim(basic_config());
    const std::size_t idx = ask_and_wait_for_reply(sim, "menu please");
    sim.silence(400);
    sim.text(R"({"event":"dtmf","digit":"5"})");
    CHECK(sim.count("break") == 1);
    CHECK(sim.sent.back().kind != "break");  // the answer to the key may already stream
    CHECK(sim.call->turns().at(idx).interrupted);
    REQUIRE(sim.call->turns().size() == idx + 2);
    const TurnMetrics key = sim.call->turns().back();
    CHECK(key.caller_text == "[dtmf 5]");
    CHECK(key.speech_end_us == sim.now);
    CHECK(key.stt_final_us == -1);
    CHECK(sim.world->llm_requests.back().messages.back().content == "[dtmf 5]");
    CHECK(sim.call->stats().dtmf_in == 1);
}

TEST_CASE("agent: speech during a reply not yet heard cancels it quietly, inputs merge") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.world->llm_mode = Mode::manual;  // the LLM is slow to answer
    sim.world->transcripts = {"I would like", "a cake"};
    sim.silence(200);
    sim.speak(500);
    sim.silence(600);
    REQUIRE(sim.world->llm_requests.size() == 1);
    // The caller goes on before a word of the reply was played.
    sim.speak(500);
    CHECK(sim.count("break") == 0);  // nothing was playing
    CHECK(sim.world->llm_cancelled == 1);
    CHECK(sim.call->turns().at(0).interrupted);
    CHECK(sim.call->turns().at(0).heard_text.empty());
    sim.silence(600);
    REQUIRE(sim.world->llm_requests.size() == 2);
    // One user message holds both parts; no assistant message in between.
    const auto& msgs = sim.world->llm_requests[1].messages;
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[1].content == "I would like a cake");
    sim.world->release_llm_all(1);
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 5000));
    CHECK(sim.finished[1].heard_text == "We are open from eight to six. Come and see us.");
    // The late words of the cancelled request change nothing.
    sim.world->release_llm_all(0);
    sim.poll_now();
    CHECK(sim.call->history().back().content == "We are open from eight to six. Come and see us.");
}

TEST_CASE("agent: a barge-in's turn reaches the STT from the speech onset, not the decision") {
    CallConfig cfg = basic_config();
    cfg.barge_in_ms = 200;
    Sim sim(cfg);
    const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
    sim.silence(500);
    sim.world->transcripts.push_back("wait");
    // A hesitant start over the bot ("w- wait"): syllables with short dips between them, so
    // 200 ms of speech take 600 ms to confirm.
    const std::uint64_t onset = sim.world->stt_samples;
    const int hints = sim.world->speech_hints;
    for (int i = 0; i < 20 && sim.count("break") == 0; ++i) {
        sim.frame(-10.0);
        sim.frame(-120);
        sim.frame(-120);
    }
    REQUIRE(sim.count("break") == 1);
    CHECK(sim.call->turns().at(idx).interrupted);
    REQUIRE(sim.world->speech_hints == hints + 1);
    const std::uint64_t rate = sim.world->stt_rate_hz;
    // Decided well after the onset (more than a 300 ms preroll could cover)...
    CHECK(sim.world->last_hint_samples - onset >= rate * 500 / 1000);
    // ...yet the STT is told where the speech began, within a frame.
    CHECK(sim.world->last_onset_samples >= onset);
    CHECK(sim.world->last_onset_samples <= onset + rate * 20 / 1000);
}

// A speakerphone: the bot's voice comes back only 6 dB down, 150 ms late, louder than the echo
// gate (12 dB) was told. The echo canceller takes it out before the VAD hears it.
TEST_CASE("agent: the bot's echo on a speakerphone never interrupts it with the canceller") {
    auto make = [](bool cancel, double echo_db) {
        CallConfig cfg = basic_config();
        cfg.echo_cancellation = cancel;
        auto sim = std::make_unique<Sim>(cfg);
        sim->echo_db = echo_db;
        sim->echo_delay_ms = 150;
        return sim;
    };
    SUBCASE("6 dB: the greeting and two replies play whole; the caller still barges in") {
        auto owner = make(true, -6.0);
        Sim& sim = *owner;
        for (const char* q : {"when are you open", "and on sunday"}) {
            const std::size_t idx = ask_and_wait_for_reply(sim, q);
            REQUIRE(sim.silence_until([&] { return sim.finished.size() > idx; }, 8000));
            CHECK_FALSE(sim.call->turns().at(idx).interrupted);
            CHECK(sim.call->turns().at(idx).heard_text == sim.call->turns().at(idx).bot_text);
        }
        CHECK(sim.count("break") == 0);
        CHECK(sim.call->stats().barge_ins == 0);
        CHECK(sim.call->stats().echo_cancelled_frames > 0);
        const std::size_t idx = ask_and_wait_for_reply(sim, "what about monday");
        sim.silence(500);
        sim.speak(300, -8.0);
        CHECK(sim.count("break") == 1);
        CHECK(sim.call->turns().at(idx).interrupted);
    }
    SUBCASE("6 dB: a caller quieter than the raw echo barges in once the canceller converged") {
        // The echo arrives at -26 dBFS, right at the gate's expectation (bot - 12 + 6 dB); the
        // caller at -30 dBFS is under it. Only a gate that counts what the converged canceller
        // takes off the echo hears the caller.
        auto owner = make(true, -6.0);
        Sim& sim = *owner;
        const std::size_t idx = ask_and_wait_for_reply(sim, "when are you open");
        sim.silence(700);
        REQUIRE(sim.count("break") == 0);
        CHECK(sim.call->stats().echo_cancelled_frames > 0);
        sim.speak(400, -30.0);
        CHECK(sim.count("break") == 1);
        CHECK(sim.call->turns().at(idx).interrupted);
    }
    SUBCASE("3 dB: the gate alone lets the echo through, the canceller does not") {
        for (bool cancel : {false, true}) {
            CAPTURE(cancel);
            auto sim = make(cancel, -3.0);
            sim->world->transcripts.push_back("when are you open");
            sim->silence(4000);
            CHECK((sim->count("break") >= 1) == !cancel);
            CHECK((sim->call->stats().echo_cancelled_frames > 0) == cancel);
        }
    }
}
