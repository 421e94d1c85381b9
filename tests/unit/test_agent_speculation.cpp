// The speculative reply's buffer on its own: when it starts, what it keeps, when it is stale,
// and that it hands over or cancels its request exactly once.
#include <doctest/doctest.h>

#include <memory>

#include "agent/speculation.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agent;
using providers::Message;
using providers::Role;

namespace {

struct CountingRequest : providers::Request {
    explicit CountingRequest(int& c) : cancelled(c) {}
    void cancel() override { ++cancelled; }
    int& cancelled;
};

std::vector<Message> request_for(std::string user) {
    return {{Role::system, "You are a bakery."}, {Role::user, std::move(user)}};
}

}  // namespace

TEST_CASE(
    "agent speculation: starts once per candidate, buffers output, keeps a same-words request") {
    Speculation s;
    CHECK_FALSE(s.wants_start());
    s.set_candidate("  ");
    CHECK_FALSE(s.wants_start());  // no words yet
    CHECK_FALSE(s.set_candidate("What time do you open"));
    CHECK(s.wants_start());

    int cancelled = 0;
    s.start(7, request_for(s.candidate()));
    s.set_request(std::make_unique<CountingRequest>(cancelled));
    CHECK(s.running());
    CHECK(s.id() == 7);
    CHECK_FALSE(s.wants_start());
    s.on_token("We open");
    s.on_action(providers::Action{providers::ActionKind::digits, "1"});
    s.on_token(" at eight.");
    s.on_done();

    // The final says the same words, written otherwise.
    CHECK_FALSE(s.set_candidate("what time, do you OPEN?"));
    CHECK(s.matches(request_for("what time, do you OPEN?")));
    CHECK_FALSE(s.matches(request_for("what time do you close")));
    CHECK_FALSE(
        s.matches({{Role::system, "You are a shop."}, {Role::user, "what time do you open"}}));
    CHECK_FALSE(s.matches({{Role::user, "what time do you open"}}));

    Speculation::Adopted a = s.take();
    CHECK(a.id == 7);
    REQUIRE(a.request);
    REQUIRE(a.items.size() == 4);
    CHECK(a.items[0].kind == Speculation::Item::Kind::token);
    CHECK(a.items[0].text == "We open");
    CHECK(a.items[1].kind == Speculation::Item::Kind::action);
    CHECK(a.items[1].action.value == "1");
    CHECK(a.items[3].kind == Speculation::Item::Kind::done);
    CHECK_FALSE(s.running());
    CHECK_FALSE(s.cancel());  // handed over: nothing left to cancel
    CHECK(cancelled == 0);
    s.on_token("late");  // nothing runs: dropped
    CHECK(s.take().items.empty());
}

TEST_CASE("agent speculation: other words make it stale; a tried candidate is not retried") {
    Speculation s;
    s.set_candidate("i want");
    int cancelled = 0;
    s.start(3, request_for("i want"));
    s.set_request(std::make_unique<CountingRequest>(cancelled));
    CHECK_FALSE(s.set_candidate("I want."));  // the same words
    CHECK(s.set_candidate("i want a cake"));  // the caller went on: stale
    CHECK(s.cancel());
    CHECK(cancelled == 1);
    CHECK_FALSE(s.cancel());
    CHECK(cancelled == 1);
    CHECK(s.wants_start());  // new words: may ask again

    s.start(4, request_for("i want a cake"));
    CHECK(s.cancel());             // e.g. the provider failed
    CHECK_FALSE(s.wants_start());  // not again on the same words
    s.set_candidate("i want a cake please");
    CHECK(s.wants_start());
    s.clear_candidate();
    CHECK_FALSE(s.wants_start());
    CHECK(s.candidate().empty());
}

TEST_CASE("agent speculation: a handle arriving after cancel is cancelled at once") {
    Speculation s;
    s.set_candidate("hello");
    s.start(9, request_for("hello"));
    CHECK(s.cancel());
    int cancelled = 0;
    s.set_request(std::make_unique<CountingRequest>(cancelled));
    CHECK(cancelled == 1);
    CHECK_FALSE(s.running());
}
