#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ringoverbot/providers.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;

namespace {
constexpr const char* kDialog = R"({
  "greeting": "Hello, you have reached the bakery. How can I help?",
  "fallback": "Sorry, I did not catch that.",
  "intents": [
    {"when": ["opening hours", "open"], "say": "We are open  from eight to six."},
    {"when": ["sales"], "say": "Let me put you through to sales.", "transfer": "+33182880001"},
    {"when": ["extension"], "say": "Dialing the extension now.", "digits": "123#"},
    {"when": ["goodbye", "bye"], "say": "Goodbye!", "end": true},
    {"when": ["Opening  Hours!"], "say": "We are open from eight to six."}
  ]
})";

struct Recorder : LlmSink {
    std::vector<std::string> events;  // "t:<token>", "a:<kind>:<value>", "done", "error:..."
    std::string text;
    void on_token(std::string_view t) override {
        events.push_back("t:" + std::string(t));
        text += t;
    }
    void on_action(const Action& a) override {
        events.push_back("a:" + std::string(action_name(a.kind)) + ":" + a.value);
    }
    void on_done() override { events.push_back("done"); }
    void on_error(const Error& e) override { events.push_back("error:" + e.message); }
};

std::shared_ptr<Recorder> ask(LlmProvider& llm, std::vector<Message> messages) {
    auto sink = std::make_shared<Recorder>();
    auto req = llm.start(LlmRequest{std::move(messages), "call-1"}, sink);
    REQUIRE(req.ok());
    (*req)->cancel();  // harmless after completion
    (*req)->cancel();
    return sink;
}
}  // namespace

TEST_CASE("providers: scripted llm streams the reply word by word, then the actions") {
    auto llm = make_scripted_llm(kDialog);
    REQUIRE(llm.ok());
    CHECK((*llm)->name() == "scripted");
    CHECK((*llm)->replies_at_once());  // the call engine never asks it speculatively

    auto r = ask(**llm, {{Role::system, "you are a bakery"}, {Role::user, "When are you OPEN?"}});
    CHECK(r->events == std::vector<std::string>{"t:We", "t: are", "t: open", "t:  from", "t: eight",
                                                "t: to", "t: six.", "done"});
    CHECK(r->text == "We are open  from eight to six.");

    r = ask(**llm, {{Role::user, "put me through to sales please"}});
    REQUIRE(r->events.size() >= 3);
    CHECK(r->text == "Let me put you through to sales.");
    CHECK(r->events[r->events.size() - 2] == "a:transfer:+33182880001");
    CHECK(r->events.back() == "done");

    r = ask(**llm, {{Role::user, "the extension"}});
    CHECK(r->events[r->events.size() - 2] == "a:digits:123#");

    r = ask(**llm, {{Role::user, "ok bye"}});
    CHECK(r->events == std::vector<std::string>{"t:Goodbye!", "a:end_call:", "done"});
}

TEST_CASE("providers: scripted llm answers the newest user message, else the fallback") {
    auto llm = make_scripted_llm(kDialog);
    REQUIRE(llm.ok());
    // The older turn asked for sales; the newest one matches nothing.
    auto r = ask(**llm, {{Role::user, "sales"},
                         {Role::assistant, "Let me put you through to sales."},
                         {Role::user, "hmm what"}});
    CHECK(r->text == "Sorry, I did not catch that.");
    CHECK(r->events.back() == "done");
    for (const auto& e : r->events) CHECK(e.rfind("a:", 0) != 0);  // no action on a fallback

    // The assistant's own words never pick an intent.
    r = ask(**llm, {{Role::user, "nothing"}, {Role::assistant, "goodbye"}});
    CHECK(r->text == "Sorry, I did not catch that.");
    r = ask(**llm, {});
    CHECK(r->text == "Sorry, I did not catch that.");
    r = ask(**llm, {{Role::user, ""}});
    CHECK(r->text == "Sorry, I did not catch that.");

    auto bad = make_scripted_llm(R"({"greeting":"g","fallback":"f","intents":[{"when":[1]}]})");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.rfind("$.intents[0].when[0]", 0) == 0);
    CHECK((*llm)->start(LlmRequest{}, nullptr).code() == Errc::invalid_argument);
}

TEST_CASE("providers: describe_dialog lists the greeting, fallback, phrases and replies") {
    auto d = describe_dialog(kDialog);
    REQUIRE(d.ok());
    CHECK(d->greeting == "Hello, you have reached the bakery. How can I help?");
    CHECK(d->fallback == "Sorry, I did not catch that.");
    // Normalized, in file order, each once ("Opening  Hours!" is "opening hours" again).
    CHECK(d->phrases == std::vector<std::string>{"opening hours", "open", "sales", "extension",
                                                 "goodbye", "bye"});
    CHECK(d->replies == std::vector<std::string>{"We are open  from eight to six.",
                                                 "Let me put you through to sales.",
                                                 "Dialing the extension now.", "Goodbye!",
                                                 "We are open from eight to six."});
    auto bad = describe_dialog(R"({"greeting":"g","fallback":"f"})");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "$.intents: missing");
}

TEST_CASE("providers: the bundled demo dialog loads") {
    std::ifstream in(ROB_TEST_DATA_DIR "/../../examples/demo-dialog.json");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    auto d = describe_dialog(ss.str());
    REQUIRE(d.ok());
    CHECK(d->phrases.size() >= 5);
    auto llm = make_scripted_llm(ss.str());
    REQUIRE(llm.ok());
    auto r = ask(**llm, {{Role::user, "what time do you open"}});
    CHECK(r->text.find("eight") != std::string::npos);
}
