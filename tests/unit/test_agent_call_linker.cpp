#include <doctest/doctest.h>

#include <string>

#include "agent/call_linker.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agent;

namespace {

webhook::Event call_event(const char* event, const char* call_id, const char* from = "33611223344",
                          const char* to = "33182880000") {
    webhook::Event e;
    e.set_field(webhook::Field::resource, "call");
    e.set_field(webhook::Field::event, event);
    e.set_field(webhook::Field::call_id, call_id);
    e.set_field(webhook::Field::from_number, from);
    e.set_field(webhook::Field::to_number, to);
    e.set_field(webhook::Field::direction, "inbound");
    return e;
}

streamer::Metadata numbers(const char* from, const char* to) {
    streamer::Metadata m;
    m.from_number = from;
    m.to_number = to;
    return m;
}

}  // namespace

TEST_CASE("agent: a stream with a call_id links to that call's webhooks, before or after") {
    CallLinker linker;
    streamer::Metadata m;
    m.call_id = "8812004471932250113";
    const auto* rec = linker.link_stream(7, m, 100.0);
    REQUIRE(rec != nullptr);
    CHECK(rec->call_id == "8812004471932250113");
    // Webhooks arriving later are routed to the stream.
    CHECK(linker.on_webhook(call_event("answered", "8812004471932250113"), 101.0) == StreamId{7});
    CHECK(linker.on_webhook(call_event("answered", "1"), 101.0) == std::nullopt);
    CHECK(linker.find_call("8812004471932250113")->from_number == "33611223344");
    CHECK(linker.call_of(7) == "8812004471932250113");
}

TEST_CASE("agent: without call_id the newest answered call with the same numbers, in the window") {
    CallLinker linker;  // window 10 s
    (void)linker.on_webhook(call_event("answered", "111"), 100.0);
    (void)linker.on_webhook(call_event("answered", "222"), 103.0);
    (void)linker.on_webhook(call_event("answered", "333", "33600000000"), 104.0);
    const auto* rec = linker.link_stream(1, numbers("+33611223344", "33182880000"), 105.0);
    REQUIRE(rec != nullptr);
    CHECK(rec->call_id == "222");  // the newest match, '+' ignored
    // The next stream with the same numbers takes the older call; 222 is taken.
    rec = linker.link_stream(2, numbers("33611223344", "33182880000"), 105.5);
    REQUIRE(rec != nullptr);
    CHECK(rec->call_id == "111");
    // Nothing left within the window.
    CHECK(linker.link_stream(3, numbers("33611223344", "33182880000"), 106.0) == nullptr);
    // A hangup webhook finds its stream.
    CHECK(linker.on_webhook(call_event("hangup", "222"), 110.0) == StreamId{1});
}

TEST_CASE("agent: answered webhooks older than the window do not match") {
    CallLinker linker;
    (void)linker.on_webhook(call_event("answered", "111"), 100.0);
    CHECK(linker.link_stream(1, numbers("33611223344", ""), 110.5) == nullptr);
    CHECK(linker.link_stream(1, numbers("33611223344", ""), 109.5) != nullptr);
    // A ringing call (not answered) never matches by numbers.
    CallLinker other;
    (void)other.on_webhook(call_event("ringing", "5"), 100.0);
    CHECK(other.link_stream(1, numbers("33611223344", "33182880000"), 101.0) == nullptr);
    // Neither call_id nor numbers: nothing to link, the stream still runs.
    CHECK(other.link_stream(2, streamer::Metadata{}, 101.0) == nullptr);
}

TEST_CASE("agent: stream end unlinks, records are bounded and expire") {
    LinkerConfig cfg;
    cfg.max_calls = 3;
    cfg.keep_s = 60;
    CallLinker linker(cfg);
    streamer::Metadata m;
    m.call_id = "1";
    (void)linker.link_stream(9, m, 0.0);
    linker.on_stream_end(9);
    CHECK(linker.call_of(9) == std::nullopt);
    CHECK(linker.on_webhook(call_event("hangup", "1"), 1.0) == std::nullopt);
    for (int i = 2; i < 10; ++i)
        (void)linker.on_webhook(call_event("answered", std::to_string(i).c_str()), 2.0);
    CHECK(linker.size() == 3);
    CHECK(linker.find_call("1") == nullptr);
    (void)linker.on_webhook(call_event("answered", "42"), 100.0);
    CHECK(linker.size() == 1);  // the others are older than keep_s
    // Non-call resources are ignored.
    webhook::Event sms;
    sms.set_field(webhook::Field::resource, "sms");
    sms.set_field(webhook::Field::call_id, "77");
    CHECK(linker.on_webhook(sms, 100.0) == std::nullopt);
    CHECK(linker.find_call("77") == nullptr);
}
