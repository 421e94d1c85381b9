// The call directory's protocol with Redis, sans-I/O (README §Several instances): the keys, the
// Lua scripts that claim, route, release and reap calls atomically, the commands that run them,
// and the decoding of their replies. No socket here: call_directory.cpp sends the commands
// and hands the replies back as RedisValue.
//
// Keys (PREFIX defaults to "rb:"):
//   PREFIX inst:{iid}     string, PX instance TTL: the instance is alive
//   PREFIX instances      zset iid -> last beat (Redis' own clock, ms): the reaper's list
//   PREFIX calls:{iid}    set of the call ids an instance holds
//   PREFIX owner:{call}   string iid: who holds the call's stream
//   PREFIX call:{call}    hash state (live|ended|orphaned), owner, orphaned_from
//   PREFIX pending:{call} list of events that came before any owner (PEXPIRE pending TTL)
//   PREFIX inbox:{iid}    stream of events for the calls an instance holds (MAXLEN ~ 10000)
//   PREFIX seen:{key}     string: a webhook already taken (SET NX, EX dedup TTL)
//   PREFIX reap:{iid}     string: one reaper per dead instance (SET NX PX)
// The scripts touch keys derived from values (an owner's inbox), so a Redis Cluster cannot
// run them: one primary (with replicas or Sentinel) serves the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net::directory {

// Where Redis listens: "unix:/path", "unix:///path" or "/path" (a unix socket), or
// "IP:PORT", "[IPv6]:PORT", "redis://IP:PORT" (a literal address: a host name would need a
// blocking DNS lookup on the server's loop). The port defaults to 6379.
struct RedisAddress {
    std::string unix_path;  // non-empty: a unix socket
    std::string ip;
    std::uint16_t port = 6379;
};
Result<RedisAddress> parse_redis_url(std::string_view url);

// "HOST-PID-RANDOM": unique per process, readable in logs.
std::string make_instance_id(std::string_view hostname, long pid, std::uint64_t random);
// Letters, digits and "-_.:" only, 1..128 bytes (it is part of Redis keys and log lines).
bool valid_instance_id(std::string_view id);

// A Redis reply, decoded from hiredis' redisReply (or built by hand in tests).
struct RedisValue {
    enum class Type { nil, integer, string, status, error, array };
    Type type = Type::nil;
    std::int64_t integer = 0;
    std::string str;  // string, status and error
    std::vector<RedisValue> elements;
};

// An event about a call that travels through Redis: only its name ("hangup", "answered", ...)
// and the call id; the webhook itself was verified and answered where it arrived.
struct CallEvent {
    std::string call_id;
    std::string event;
};

// What became of a webhook sent to the route script.
enum class RouteOutcome : int {
    local = 0,        // this instance holds the call: apply it here
    routed = 1,       // put in the holder's inbox
    parked = 2,       // no holder yet: parked until a stream claims the call
    duplicate = 3,    // the same webhook was taken already (here or on another instance)
    orphaned = 4,     // the holder is dead: nobody can apply it
    unavailable = 5,  // Redis did not answer (down, paused, timed out)
};
inline constexpr std::size_t kRouteOutcomeCount = 6;
std::string_view route_outcome_name(RouteOutcome o) noexcept;  // "local", "routed", ...

struct RouteResult {
    RouteOutcome outcome = RouteOutcome::unavailable;
    std::string owner;  // routed / orphaned: the holder
};
RouteResult decode_route(const RedisValue* reply);  // nullptr = no reply: unavailable

struct ClaimResult {
    bool ok = false;                  // the call is ours now (or was already)
    bool conflict = false;            // another live instance holds it
    std::string owner;                // conflict: who
    std::vector<std::string> parked;  // events parked before the claim, oldest first
};
ClaimResult decode_claim(const RedisValue* reply);

struct OrphanedCall {
    std::string call_id;
    std::string instance;  // the dead holder
};
std::vector<OrphanedCall> decode_reap(const RedisValue* reply);

// XREAD's reply for one stream: the events and the id to read from next (unchanged on a
// timeout reply, which is nil).
struct InboxBatch {
    std::vector<CallEvent> events;
    std::string last_id;
};
InboxBatch decode_inbox(const RedisValue* reply, std::string_view last_id);

// The heartbeat's reply: whether this instance's key had lapsed (expired, reaped, or Redis
// lost its data), in which case the instance re-asserts the calls it holds.
std::optional<bool> decode_heartbeat(const RedisValue* reply);  // nullopt: no valid reply

// The timings and names the commands need.
struct Settings {
    std::string prefix = "rb:";
    std::string instance_id;
    std::string instance_info;  // stored in the instance key (JSON: url, pid)
    std::int64_t instance_ttl_ms = 5000;
    std::int64_t pending_ttl_ms = 120000;
    std::int64_t dedup_ttl_s = 600;
    std::int64_t reap_lock_ms = 30000;
    std::int64_t ended_ttl_s = 900;      // the call hash after its end
    std::int64_t call_ttl_s = 4 * 3600;  // owner key and call hash of a live call (safety)
    std::int64_t inbox_max_len = 10000;
    std::int64_t inbox_block_ms = 2000;
};

// Every command is an argv. The scripts run with EVAL: Redis caches them by their SHA1, and
// EVAL after a restart needs no SCRIPT LOAD round trip (they are a few hundred bytes).
using Command = std::vector<std::string>;
Command heartbeat_command(const Settings& s);
Command claim_command(const Settings& s, std::string_view call_id);
Command release_command(const Settings& s, std::string_view call_id);
// dedup_key empty: no duplicate detection.
Command route_command(const Settings& s, const CallEvent& event, std::string_view dedup_key);
Command reap_command(const Settings& s);
Command inbox_read_command(const Settings& s, std::string_view last_id);
// On a clean stop: the instance key, its zset entry and its inbox.
Command leave_command(const Settings& s);

// The dedup key of a webhook: call id, event and a 64-bit FNV-1a of the body, so the same
// delivery posted to two instances (or twice to one) is taken once.
std::string dedup_key(std::string_view call_id, std::string_view event, std::string_view body);

}  // namespace ringoverbot::net::directory
