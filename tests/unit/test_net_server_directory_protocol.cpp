#include <doctest/doctest.h>

#include <string>

#include "net/server/directory_protocol.hpp"

using namespace ringoverbot::net::directory;
using Type = RedisValue::Type;

namespace {

RedisValue str(std::string s) {
    RedisValue v;
    v.type = Type::string;
    v.str = std::move(s);
    return v;
}

RedisValue arr(std::vector<RedisValue> e) {
    RedisValue v;
    v.type = Type::array;
    v.elements = std::move(e);
    return v;
}

RedisValue integer(std::int64_t n) {
    RedisValue v;
    v.type = Type::integer;
    v.integer = n;
    return v;
}

}  // namespace

TEST_CASE("directory: redis_url takes unix sockets and literal addresses, never a host name") {
    auto u = parse_redis_url("unix:///run/redis.sock");
    REQUIRE(u);
    CHECK(u->unix_path == "/run/redis.sock");
    CHECK(parse_redis_url("unix:/tmp/r.sock")->unix_path == "/tmp/r.sock");
    CHECK(parse_redis_url("/tmp/r.sock")->unix_path == "/tmp/r.sock");
    auto t = parse_redis_url("redis://127.0.0.1:6380");
    REQUIRE(t);
    CHECK(t->ip == "127.0.0.1");
    CHECK(t->port == 6380);
    CHECK(parse_redis_url("10.0.0.7")->port == 6379);
    auto v6 = parse_redis_url("[::1]:7000");
    REQUIRE(v6);
    CHECK(v6->ip == "::1");
    CHECK(v6->port == 7000);

    const auto named = parse_redis_url("redis.internal:6379");
    REQUIRE_FALSE(named);
    CHECK(named.error().message.find("no DNS lookup") != std::string::npos);
    CHECK_FALSE(parse_redis_url("127.0.0.1:0"));
    CHECK_FALSE(parse_redis_url("127.0.0.1:70000"));
    CHECK_FALSE(parse_redis_url("127.0.0.1:x"));
    CHECK_FALSE(parse_redis_url("unix:relative.sock"));
    CHECK_FALSE(parse_redis_url("redis://user:pw@127.0.0.1:6379"));
    CHECK_FALSE(parse_redis_url("[::1"));
}

TEST_CASE("directory: instance ids are readable, unique per process and safe in keys") {
    const std::string id = make_instance_id("bot-1.example", 4242, 0xabcdef123ULL);
    CHECK(id == "bot-1.example-4242-def123");
    CHECK(valid_instance_id(id));
    CHECK(make_instance_id("", 1, 0) == "host-1-000000");
    CHECK(valid_instance_id(make_instance_id("we ird/host", 7, 1)));
    CHECK_FALSE(valid_instance_id(""));
    CHECK_FALSE(valid_instance_id("a b"));
    CHECK_FALSE(valid_instance_id(std::string(129, 'a')));
}

TEST_CASE("directory: route replies decode to one outcome; anything else is unavailable") {
    CHECK(decode_route(nullptr).outcome == RouteOutcome::unavailable);
    auto parked = arr({str("parked")});
    CHECK(decode_route(&parked).outcome == RouteOutcome::parked);
    auto local = arr({str("local")});
    CHECK(decode_route(&local).outcome == RouteOutcome::local);
    auto dup = arr({str("duplicate")});
    CHECK(decode_route(&dup).outcome == RouteOutcome::duplicate);
    auto routed = arr({str("routed"), str("b-1-2")});
    CHECK(decode_route(&routed).outcome == RouteOutcome::routed);
    CHECK(decode_route(&routed).owner == "b-1-2");
    auto orphan = arr({str("orphaned"), str("a-1-1")});
    CHECK(decode_route(&orphan).outcome == RouteOutcome::orphaned);
    // A routed reply without its owner, an error reply, or a stranger tag: not trusted.
    auto no_owner = arr({str("routed")});
    CHECK(decode_route(&no_owner).outcome == RouteOutcome::unavailable);
    RedisValue err;
    err.type = Type::error;
    err.str = "NOSCRIPT";
    CHECK(decode_route(&err).outcome == RouteOutcome::unavailable);
    auto odd = arr({str("maybe")});
    CHECK(decode_route(&odd).outcome == RouteOutcome::unavailable);
    CHECK(route_outcome_name(RouteOutcome::duplicate) == "duplicate");
}

TEST_CASE("directory: a claim returns its parked events in order, or who holds the call") {
    auto ok = arr({str("ok"), arr({str("answered"), str("hangup")})});
    const ClaimResult c = decode_claim(&ok);
    CHECK(c.ok);
    CHECK_FALSE(c.conflict);
    REQUIRE(c.parked.size() == 2);
    CHECK(c.parked[0] == "answered");
    CHECK(c.parked[1] == "hangup");
    auto taken = arr({str("conflict"), str("other-9-1")});
    const ClaimResult t = decode_claim(&taken);
    CHECK_FALSE(t.ok);
    CHECK(t.conflict);
    CHECK(t.owner == "other-9-1");
    CHECK_FALSE(decode_claim(nullptr).ok);
    auto empty_ok = arr({str("ok"), arr({})});
    CHECK(decode_claim(&empty_ok).ok);
}

TEST_CASE("directory: reaper, inbox and heartbeat replies") {
    auto reaped = arr({str("c1"), str("dead-1"), str("c2"), str("dead-1"), str("stray")});
    const auto orphans = decode_reap(&reaped);
    REQUIRE(orphans.size() == 2);
    CHECK(orphans[1].call_id == "c2");
    CHECK(orphans[1].instance == "dead-1");

    auto xread = arr({arr(
        {str("rb:inbox:a"),
         arr({arr({str("1-0"), arr({str("call"), str("c1"), str("event"), str("hangup")})}),
              arr({str("2-0"), arr({str("call"), str("c2")})}),  // no event
              arr({str("3-1"), arr({str("event"), str("answered"), str("call"), str("c3")})})})})});
    const InboxBatch b = decode_inbox(&xread, "0-0");
    REQUIRE(b.events.size() == 2);
    CHECK(b.events[0].call_id == "c1");
    CHECK(b.events[0].event == "hangup");
    CHECK(b.events[1].call_id == "c3");
    CHECK(b.last_id == "3-1");  // the malformed entry is skipped, not re-read
    RedisValue timeout;         // XREAD BLOCK answers nil when nothing came
    CHECK(decode_inbox(&timeout, "7-0").last_id == "7-0");
    CHECK(decode_inbox(&timeout, "7-0").events.empty());

    auto lapsed = integer(0);
    auto alive = integer(1);
    CHECK(decode_heartbeat(&lapsed) == true);
    CHECK(decode_heartbeat(&alive) == false);
    CHECK_FALSE(decode_heartbeat(nullptr).has_value());
}

TEST_CASE("directory: commands carry the prefix, the instance and the timings") {
    Settings s;
    s.prefix = "t:";
    s.instance_id = "a-1-1";
    s.pending_ttl_ms = 1500;
    const Command r = route_command(s, CallEvent{"c9", "hangup"}, "k");
    REQUIRE(r.size() == 11);
    CHECK(r[0] == "EVAL");
    CHECK(r[2] == "0");
    CHECK(r[3] == "t:");
    CHECK(r[4] == "a-1-1");
    CHECK(r[5] == "c9");
    CHECK(r[6] == "hangup");
    CHECK(r[7] == "k");
    CHECK(r[9] == "1500");
    const Command x = inbox_read_command(s, "5-0");
    CHECK(x[0] == "XREAD");
    CHECK(x[6] == "t:inbox:a-1-1");
    CHECK(x[7] == "5-0");
    CHECK(claim_command(s, "c9")[5] == "c9");
}

TEST_CASE("directory: the dedup key is the same for the same delivery only") {
    const std::string a = dedup_key("c1", "hangup", R"({"attempt":1})");
    CHECK(a == dedup_key("c1", "hangup", R"({"attempt":1})"));
    CHECK(a != dedup_key("c1", "hangup", R"({"attempt":2})"));
    CHECK(a != dedup_key("c2", "hangup", R"({"attempt":1})"));
    CHECK(a.rfind("c1:hangup:", 0) == 0);
}
