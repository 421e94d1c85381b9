#include <doctest/doctest.h>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/providers.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers::local;

namespace {
constexpr const char* kBakery = R"({
  "greeting": "Hello, you have reached the bakery. How can I help?",
  "fallback": "Sorry, I did not catch that. Could you say it again?",
  "intents": [
    {"when": ["opening hours", "open"], "say": "We are open from eight to six, Monday to Saturday."},
    {"when": ["sales"], "say": "Let me put you through to sales.", "transfer": "33182880001"},
    {"when": ["extension"], "say": "Dialing the extension now.", "digits": 123},
    {"when": ["goodbye", "bye"], "say": "Goodbye!", "end": true}
  ]
})";
}

TEST_CASE("providers: dialog parses the bundled format") {
    auto d = parse_dialog(kBakery);
    REQUIRE(d.ok());
    CHECK(d->greeting == "Hello, you have reached the bakery. How can I help?");
    REQUIRE(d->intents.size() == 4);
    CHECK(d->intents[1].transfer == "33182880001");
    CHECK(d->intents[2].digits == "123");
    CHECK(d->intents[3].end);
}

TEST_CASE("providers: dialog matches whole-word sequences, first intent wins") {
    auto d = parse_dialog(kBakery);
    REQUIRE(d.ok());
    CHECK(d->match("What are your OPENING hours?") == &d->intents[0]);
    CHECK(d->match("um when are you open") == &d->intents[0]);
    CHECK(d->match("put me through to sales please") == &d->intents[1]);
    CHECK(d->match("Bye!") == &d->intents[3]);
    CHECK(d->match("reopening") == nullptr);      // not a whole word
    CHECK(d->match("hours opening") == nullptr);  // not the sequence
    CHECK(d->match("") == nullptr);
    // Both intents 0 and 3 match: the first in file order wins.
    CHECK(d->match("goodbye, are you open") == &d->intents[0]);
}

TEST_CASE("providers: dialog errors name the JSON path") {
    auto e1 =
        parse_dialog(R"({"greeting":"hi","fallback":"what","intents":[{"when":[],"say":"x"}]})");
    REQUIRE_FALSE(e1.ok());
    CHECK(e1.error().message.find("$.intents[0].when") == 0);
    auto e2 = parse_dialog(R"({"greeting":"hi","fallback":"what","intents":[{"when":["a"]}]})");
    REQUIRE_FALSE(e2.ok());
    CHECK(e2.error().message == "$.intents[0].say: missing");
    auto e3 = parse_dialog(R"({"greeting":1,"fallback":"f","intents":[]})");
    REQUIRE_FALSE(e3.ok());
    CHECK(e3.error().message == "$.greeting: expected a string");
    auto e4 = parse_dialog(
        R"({"greeting":"g","fallback":"f","intents":[{"when":["a"],"say":"b","transfer":"12x"}]})");
    REQUIRE_FALSE(e4.ok());
    CHECK(e4.error().message.find("$.intents[0].transfer") == 0);
    CHECK_FALSE(parse_dialog("not json").ok());
    CHECK_FALSE(parse_dialog(R"({"greeting":"g","fallback":"f","intents":[],"extra":1})").ok());
}

TEST_CASE("providers: dialog takes the optional confirmation prompts and misunderstanding offer") {
    const std::string head = R"({"greeting":"g","fallback":"f","intents":[],)";
    auto d = parse_dialog(head + R"("confirm_end":"Shall I hang up?",
        "confirm_transfer":"Shall I put you through?",
        "misunderstood":{"say":"Let me find someone.","transfer":"+33100000000"}})");
    REQUIRE(d.ok());
    CHECK(d->confirm_end == "Shall I hang up?");
    CHECK(d->confirm_transfer == "Shall I put you through?");
    REQUIRE(d->misunderstood);
    CHECK(d->misunderstood->say == "Let me find someone.");
    CHECK(d->misunderstood->transfer == "+33100000000");

    auto end = parse_dialog(head + R"("misunderstood":{"end":true,"say":"Goodbye."}})");
    REQUIRE(end.ok());
    REQUIRE(end->misunderstood);
    CHECK(end->misunderstood->transfer.empty());
    CHECK(end->confirm_end.empty());  // absent: the call's own prompt

    auto plain = parse_dialog(kBakery);
    REQUIRE(plain.ok());
    CHECK_FALSE(plain->misunderstood);

    auto summary = ringoverbot::providers::describe_dialog(
        head + R"("confirm_end":"Shall I hang up?","misunderstood":{"say":"Bye.","end":true}})");
    REQUIRE(summary.ok());
    CHECK(summary->confirm_end == "Shall I hang up?");
    CHECK(summary->confirm_transfer.empty());
    CHECK(summary->has_misunderstood);
    CHECK(summary->misunderstood_say == "Bye.");
    CHECK(summary->misunderstood_transfer.empty());
}

TEST_CASE("providers: dialog refuses malformed prompts and offers with the JSON path") {
    const std::string head = R"({"greeting":"g","fallback":"f","intents":[],)";
    const std::pair<std::string, std::string> cases[] = {
        {R"("confirm_end":""})", "$.confirm_end: must not be empty"},
        {R"("confirm_transfer":3})", "$.confirm_transfer: expected a string"},
        {R"("misunderstood":"bye"})", "$.misunderstood: expected an object"},
        {R"("misunderstood":{"end":true}})", "$.misunderstood.say: missing"},
        {R"("misunderstood":{"say":"x"}})",
         R"($.misunderstood: expected either "transfer" or "end": true)"},
        {R"("misunderstood":{"say":"x","end":false}})",
         R"($.misunderstood: expected either "transfer" or "end": true)"},
        {R"("misunderstood":{"say":"x","end":true,"transfer":"123"}})",
         R"($.misunderstood: expected either "transfer" or "end": true)"},
        {R"("misunderstood":{"say":"x","transfer":"12a"}})",
         "$.misunderstood.transfer: expected a phone number (digits, optional leading +)"},
        {R"("misunderstood":{"say":"x","transfer":12.5}})",
         "$.misunderstood.transfer: expected digits"},
        {R"("misunderstood":{"say":"x","transfer":"1+2"}})",
         "$.misunderstood.transfer: expected a phone number (digits, optional leading +)"},
        {R"("misunderstood":{"say":"x","end":"yes"}})",
         "$.misunderstood.end: expected true or false"},
        {R"("misunderstood":{"say":"x","end":true,"why":1}})", "$.misunderstood.why: unknown key"},
    };
    for (const auto& [json, message] : cases) {
        CAPTURE(json);
        auto d = parse_dialog(head + json);
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().message == message);
    }
    // Truncated and hostile bytes are refused, never crash.
    const std::string full = head + R"("misunderstood":{"say":"x","transfer":"123"}})";
    for (std::size_t n = 0; n < full.size(); ++n) CHECK_FALSE(parse_dialog(full.substr(0, n)).ok());
}
