// The engine's gates on what was heard, replayed against a virtual clock: low confidence gets
// the fallback and never reaches the LLM, an end_call or transfer on a doubtful hearing is
// confirmed first, speech without words is never left in silence, and misunderstandings in a
// row end in the configured offer.
#include <doctest/doctest.h>

#include <algorithm>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

const std::string kFallback = "Sorry, could you say that again?";

CallConfig gate_config() {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    return cfg;
}

std::vector<LlmStep> say_then(std::string_view text, std::vector<Action> actions) {
    auto steps = FakeWorld::words(text);
    for (auto& a : actions) steps.push_back({"", a});
    return steps;
}

// The caller speaks `ms`, then the line is quiet until the turn's reply has finished playing
// (or the call ended). Returns whether it did.
bool turn(Sim& sim, int ms = 600) {
    const std::size_t before = sim.finished.size();
    sim.speak(ms);
    return sim.silence_until([&] { return sim.finished.size() > before || sim.call->ended(); },
                             10000);
}

bool said(const Sim& sim, std::string_view text) {
    const std::string want = "fake-tts:" + std::string(text);
    return std::find(sim.world->tts_texts.begin(), sim.world->tts_texts.end(), want) !=
           sim.world->tts_texts.end();
}

// The call's LLM answers "bye" with Goodbye! + end_call, "sales" with a transfer, anything
// else with the opening hours.
void script(Sim& sim) {
    sim.world->script = [](const providers::LlmRequest& req) {
        const std::string& last = req.messages.back().content;
        if (last.find("bye") != std::string::npos)
            return say_then("Goodbye!", {Action{ActionKind::end_call, {}}});
        if (last.find("sales") != std::string::npos)
            return say_then("Let me put you through to sales.",
                            {Action{ActionKind::transfer, "33182880001"}});
        return FakeWorld::words("We are open from eight to six.");
    };
    sim.silence(100);
}

}  // namespace

TEST_CASE("agent gates: a transcript below min_confidence gets the fallback, never the LLM") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"hours um can can the", "what are your hours"};
    sim.world->confidences = {0.3, providers::kUnknownConfidence};
    REQUIRE(turn(sim));
    CHECK(sim.world->llm_requests.empty());
    CHECK(said(sim, kFallback));
    const TurnMetrics& t = sim.finished.at(0);
    CHECK(t.misheard);
    CHECK(t.confidence == doctest::Approx(0.3));
    CHECK(t.caller_text == "hours um can can the");  // for the log, not for the LLM
    CHECK(t.bot_text == kFallback);
    CHECK(sim.call->stats().misheard == 1);
    CHECK(sim.call->stats().fallbacks == 1);
    CHECK(sim.call->stats().turns == 1);
    // The misheard words never reach the history; the fallback the caller heard does.
    for (const auto& m : sim.call->history()) CHECK(m.content != "hours um can can the");

    // Unknown confidence passes the gate.
    REQUIRE(turn(sim));
    REQUIRE(sim.world->llm_requests.size() == 1);
    CHECK(sim.world->llm_requests[0].messages.back().content == "what are your hours");
    CHECK_FALSE(sim.finished.at(1).misheard);
    CHECK(sim.finished.at(1).confidence == providers::kUnknownConfidence);
}

TEST_CASE("agent gates: an end_call heard for sure ends the call at once") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"goodbye"};
    sim.world->confidences = {0.95};
    REQUIRE(turn(sim));
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 3000));
    CHECK(sim.count("close") == 1);
    CHECK(said(sim, "Goodbye!"));
    CHECK_FALSE(said(sim, CallConfig{}.confirm_end_prompt));
    CHECK(sim.call->stats().confirmations == 0);
}

TEST_CASE("agent gates: a doubtful end_call is confirmed, a yes ends the call") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"um a goodbye a i", "yeah please"};
    sim.world->confidences = {0.6, 0.9};
    REQUIRE(turn(sim));
    const std::string prompt = CallConfig{}.confirm_end_prompt;
    CHECK(said(sim, prompt));
    CHECK_FALSE(said(sim, "Goodbye!"));  // the reply's own words wait for the answer
    CHECK_FALSE(sim.call->ended());
    CHECK(sim.count("close") == 0);
    const TurnMetrics& ask = sim.finished.at(0);
    CHECK(ask.confirmation);
    CHECK(ask.bot_text == prompt);
    CHECK(ask.heard_text == prompt);
    CHECK(ask.actions.empty());
    CHECK(sim.call->stats().confirmations == 1);
    sim.silence(2000);  // the bot waits for the answer, and holds the call
    CHECK_FALSE(sim.call->ended());

    REQUIRE(turn(sim));
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 3000));
    CHECK(sim.world->llm_requests.size() == 1);  // the held reply, no second request
    CHECK(said(sim, "Goodbye!"));
    CHECK(sim.count("close") == 1);
    CHECK(sim.call->end_reason() == "end_call");
    CHECK(sim.call->stats().confirmed == 1);
    CHECK(sim.call->stats().cancelled_actions == 0);
    // The history the LLM would see: the doubtful words, the question, the yes, the goodbye.
    const auto& h = sim.call->history();
    REQUIRE(h.size() == 4);
    CHECK(h[0].content == "um a goodbye a i");
    CHECK(h[1].content == prompt);
    CHECK(h[2].content == "yeah please");
    CHECK(h[3].content == "Goodbye!");
}

TEST_CASE("agent gates: a doubtful end_call answered with anything but yes goes on") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"wait wait goodbye", "no, what are your hours"};
    sim.world->confidences = {0.6, 0.9};
    REQUIRE(turn(sim));
    CHECK(sim.call->stats().confirmations == 1);
    REQUIRE(turn(sim));
    sim.silence(1000);
    CHECK_FALSE(sim.call->ended());
    CHECK(sim.count("close") == 0);
    CHECK(sim.call->stats().cancelled_actions == 1);
    CHECK(sim.call->stats().confirmed == 0);
    // The answer is an ordinary turn: the LLM hears it, with the question before it.
    REQUIRE(sim.world->llm_requests.size() == 2);
    const auto& msgs = sim.world->llm_requests[1].messages;
    CHECK(msgs.back().content == "no, what are your hours");
    CHECK(msgs[msgs.size() - 2].content == CallConfig{}.confirm_end_prompt);
    CHECK(said(sim, "We are open from eight to six."));
    CHECK_FALSE(said(sim, "Goodbye!"));
}

TEST_CASE("agent gates: a short answer to a confirmation the recogniser missed is answered") {
    // A caller's "no" is shorter than misheard_speech_ms; had it no words, it got silence.
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"goodbye", ""};
    sim.world->confidences = {0.6, -1.0};
    REQUIRE(turn(sim));
    CHECK(sim.call->stats().confirmations == 1);
    REQUIRE(turn(sim, 300));
    CHECK(said(sim, kFallback));
    CHECK_FALSE(sim.call->ended());
    CHECK(sim.call->stats().cancelled_actions == 1);
    CHECK(sim.call->stats().misheard == 1);
    // The next short noise, with no question pending, stays unanswered again.
    const auto audio = sim.count("audio");
    sim.speak(300);
    sim.silence(1500);
    CHECK(sim.count("audio") == audio);
}

TEST_CASE("agent gates: a doubtful transfer is confirmed; yes transfers, no does not") {
    CallConfig cfg = gate_config();
    cfg.confirm_transfer_prompt = "Do you want me to transfer you to sales?";
    {
        Sim sim(cfg);
        script(sim);
        sim.world->transcripts = {"sales", "yes"};
        sim.world->confidences = {0.7, 0.95};
        REQUIRE(turn(sim));
        CHECK(said(sim, cfg.confirm_transfer_prompt));
        CHECK(sim.count("transfer") == 0);
        REQUIRE(turn(sim));
        CHECK(said(sim, "Let me put you through to sales."));
        REQUIRE(sim.count("transfer") == 1);
        CHECK(sim.of_kind("transfer")[0]->text.find("33182880001") != std::string::npos);
        CHECK(sim.call->stats().confirmed == 1);
        CHECK(sim.finished.at(1).actions.size() == 1);
    }
    {
        Sim sim(cfg);
        script(sim);
        sim.world->transcripts = {"sales", "nope"};
        sim.world->confidences = {0.7, 0.95};
        REQUIRE(turn(sim));
        REQUIRE(turn(sim));
        sim.silence(1000);
        CHECK(sim.count("transfer") == 0);
        CHECK(sim.call->stats().cancelled_actions == 1);
    }
}

TEST_CASE("agent gates: a doubtful reply without an end or transfer is said as it is") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"hours"};
    sim.world->confidences = {0.6};
    REQUIRE(turn(sim));
    CHECK(said(sim, "We are open from eight to six."));
    CHECK(sim.finished.at(0).bot_text == "We are open from eight to six.");
    CHECK_FALSE(sim.finished.at(0).confirmation);
    CHECK(sim.call->stats().confirmations == 0);
}

TEST_CASE("agent gates: speech without words gets the fallback, short noise gets nothing") {
    Sim sim(gate_config());
    script(sim);
    sim.world->transcripts = {"", ""};
    sim.speak(300);  // a cough
    sim.silence(1500);
    CHECK(sim.world->end_of_turns == 1);
    CHECK(sim.call->turns().empty());
    CHECK(sim.count("audio") == 0);

    REQUIRE(turn(sim, 600));  // words the recogniser could not make out
    CHECK(said(sim, kFallback));
    CHECK(sim.world->llm_requests.empty());
    const TurnMetrics& t = sim.finished.at(0);
    CHECK(t.misheard);
    CHECK(t.caller_text.empty());
    CHECK(sim.call->stats().misheard == 1);
}

TEST_CASE("agent gates: three misunderstandings in a row end the call politely") {
    CallConfig cfg = gate_config();
    cfg.misunderstood_say = "I cannot understand you, goodbye.";
    Sim sim(cfg);
    script(sim);
    // The LLM answers anything unexpected with the fallback's words, or with nothing at all.
    sim.world->script = [&](const providers::LlmRequest& req) {
        const std::string& last = req.messages.back().content;
        if (last == "hours") return FakeWorld::words("We are open from eight to six.");
        if (last == "nothing") return std::vector<LlmStep>{};
        return FakeWorld::words(kFallback);
    };
    // A well-understood turn in between resets the count.
    sim.world->transcripts = {"blah", "", "hours", "blah", "nothing", "blah blah"};
    sim.world->confidences = {1.0, 1.0, 1.0, 0.2, 1.0, 1.0};
    for (int i = 0; i < 5; ++i) REQUIRE(turn(sim));
    CHECK(sim.call->stats().misunderstood_offers == 0);
    CHECK_FALSE(sim.call->ended());
    REQUIRE(turn(sim));  // the third in a row since "hours"
    REQUIRE(sim.silence_until([&] { return sim.call->ended(); }, 4000));
    CHECK(sim.call->stats().misunderstood_offers == 1);
    CHECK(said(sim, "I cannot understand you, goodbye."));
    // The offer replaces the reply: its fallback words are not said a third time.
    CHECK(std::count(sim.world->tts_texts.begin(), sim.world->tts_texts.end(),
                     "fake-tts:" + kFallback) == 4);
    CHECK(sim.count("close") == 1);
    CHECK(sim.finished.back().bot_text == "I cannot understand you, goodbye.");
}

TEST_CASE("agent gates: misunderstandings can end in a transfer, the count can be off") {
    CallConfig cfg = gate_config();
    cfg.misunderstood_say = "Let me find someone to help you.";
    cfg.misunderstood_transfer = "33100000000";
    cfg.max_misunderstandings = 2;
    Sim sim(cfg);
    script(sim);
    sim.world->transcripts = {"x", "y"};
    sim.world->confidences = {0.1, 0.1};
    REQUIRE(turn(sim));
    REQUIRE(turn(sim));
    REQUIRE(sim.count("transfer") == 1);
    CHECK(sim.of_kind("transfer")[0]->text.find("33100000000") != std::string::npos);
    CHECK(said(sim, "Let me find someone to help you."));
    CHECK_FALSE(sim.call->ended());

    cfg.max_misunderstandings = 0;
    Sim never(cfg);
    script(never);
    never.world->transcripts = {"x", "y", "z", "w"};
    never.world->confidences = {0.1, 0.1, 0.1, 0.1};
    for (int i = 0; i < 4; ++i) REQUIRE(turn(never));
    CHECK(never.call->stats().misunderstood_offers == 0);
    CHECK(never.call->stats().misheard == 4);
}

TEST_CASE("agent gates: the STT hears the confirmation words when it has a grammar") {
    CallConfig cfg = gate_config();
    cfg.expected_phrases = {"opening hours", "yes"};
    Sim sim(cfg);
    sim.silence(20);
    const auto& phrases = sim.world->stt_options.phrases;
    CHECK(phrases.front() == "opening hours");
    CHECK(std::count(phrases.begin(), phrases.end(), "yes") == 1);
    CHECK(std::count(phrases.begin(), phrases.end(), "yeah") == 1);
    CHECK(std::count(phrases.begin(), phrases.end(), "no") == 1);

    Sim open(gate_config());  // no phrases: the recogniser takes anything, it stays so
    open.silence(20);
    CHECK(open.world->stt_options.phrases.empty());
}

TEST_CASE("agent gates: Call::create refuses confidences out of range") {
    for (double bad : {-0.1, 1.5}) {
        CallConfig cfg = gate_config();
        cfg.min_confidence = bad;
        Providers p;
        auto w = std::make_shared<FakeWorld>();
        p.stt = std::make_shared<FakeStt>(w);
        p.llm = std::make_shared<FakeLlm>(w);
        p.tts = std::make_shared<FakeTts>(w);
        CHECK_FALSE(Call::create(cfg, p).ok());
        cfg.min_confidence = 0.5;
        cfg.action_confidence = bad;
        CHECK_FALSE(Call::create(cfg, p).ok());
    }
}
