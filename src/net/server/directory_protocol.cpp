#include "net/server/directory_protocol.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace ringoverbot::net::directory {

namespace {

// ARGV[1] is the key prefix, ARGV[2] this instance's id in every script.

// -> 1 when the instance key was still there, 0 when it had lapsed.
constexpr const char* kHeartbeat = R"lua(
local p, iid = ARGV[1], ARGV[2]
local existed = redis.call('EXISTS', p..'inst:'..iid)
redis.call('SET', p..'inst:'..iid, ARGV[3], 'PX', ARGV[4])
local t = redis.call('TIME')
redis.call('ZADD', p..'instances', t[1] * 1000 + math.floor(t[2] / 1000), iid)
return existed
)lua";

// ARGV[3] call, ARGV[4] live TTL (s) -> {'ok', {parked...}} or {'conflict', owner}
constexpr const char* kClaim = R"lua(
local p, iid, call = ARGV[1], ARGV[2], ARGV[3]
local ok = p..'owner:'..call
local owner = redis.call('GET', ok)
if owner and owner ~= iid and redis.call('EXISTS', p..'inst:'..owner) == 1 then
  return {'conflict', owner}
end
redis.call('SET', ok, iid, 'EX', ARGV[4])
redis.call('SADD', p..'calls:'..iid, call)
redis.call('HSET', p..'call:'..call, 'state', 'live', 'owner', iid)
redis.call('EXPIRE', p..'call:'..call, ARGV[4])
local pk = p..'pending:'..call
local parked = redis.call('LRANGE', pk, 0, -1)
redis.call('DEL', pk)
return {'ok', parked}
)lua";

// ARGV[3] call, ARGV[4] TTL of the ended call's hash (s)
constexpr const char* kRelease = R"lua(
local p, iid, call = ARGV[1], ARGV[2], ARGV[3]
local ok = p..'owner:'..call
redis.call('SREM', p..'calls:'..iid, call)
if redis.call('GET', ok) == iid then
  redis.call('DEL', ok)
  redis.call('HSET', p..'call:'..call, 'state', 'ended')
  redis.call('EXPIRE', p..'call:'..call, ARGV[4])
end
return 1
)lua";

// ARGV[3] call, [4] event, [5] dedup key ('' = none), [6] dedup TTL (s), [7] pending TTL (ms),
// [8] inbox max length -> {'duplicate'|'parked'|'local'} or {'routed'|'orphaned', owner}
constexpr const char* kRoute = R"lua(
local p, iid, call, ev = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if ARGV[5] ~= '' then
  if not redis.call('SET', p..'seen:'..ARGV[5], iid, 'NX', 'EX', ARGV[6]) then
    return {'duplicate'}
  end
end
local owner = redis.call('GET', p..'owner:'..call)
if not owner then
  local from = redis.call('HGET', p..'call:'..call, 'orphaned_from')
  if from and redis.call('HGET', p..'call:'..call, 'state') == 'orphaned' then
    return {'orphaned', from}
  end
  local pk = p..'pending:'..call
  redis.call('RPUSH', pk, ev)
  redis.call('PEXPIRE', pk, ARGV[7])
  return {'parked'}
end
if owner == iid then return {'local'} end
if redis.call('EXISTS', p..'inst:'..owner) == 0 then return {'orphaned', owner} end
redis.call('XADD', p..'inbox:'..owner, 'MAXLEN', '~', ARGV[8], '*', 'call', call, 'event', ev)
return {'routed', owner}
)lua";

// ARGV[3] instance TTL (ms) -> {call1, dead1, call2, dead2, ...}. Atomic, so two reapers never
// report the same call: the first removes the dead instance from the zset.
constexpr const char* kReap = R"lua(
local p, me = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local out = {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', p..'instances', '-inf', now - tonumber(ARGV[3]))) do
  if dead ~= me and redis.call('EXISTS', p..'inst:'..dead) == 0 then
    for _, call in ipairs(redis.call('SMEMBERS', p..'calls:'..dead)) do
      local ok = p..'owner:'..call
      if redis.call('GET', ok) == dead then
        redis.call('DEL', ok)
        redis.call('HSET', p..'call:'..call, 'state', 'orphaned', 'orphaned_from', dead)
        table.insert(out, call)
        table.insert(out, dead)
      end
    end
    redis.call('DEL', p..'calls:'..dead, p..'inbox:'..dead)
    redis.call('ZREM', p..'instances', dead)
  end
end
return out
)lua";

constexpr const char* kLeave = R"lua(
local p, iid = ARGV[1], ARGV[2]
redis.call('DEL', p..'inst:'..iid, p..'inbox:'..iid)
redis.call('ZREM', p..'instances', iid)
return 1
)lua";

Command eval(const char* script, const Settings& s) {
    return Command{"EVAL", script, "0", s.prefix, s.instance_id};
}

std::string num(std::int64_t v) {
    return std::to_string(v);
}

bool is_str(const RedisValue& v) {
    return v.type == RedisValue::Type::string || v.type == RedisValue::Type::status;
}

bool parse_port(std::string_view text, std::uint16_t& port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
        return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

Result<RedisAddress> parse_redis_url(std::string_view url) {
    RedisAddress a;
    const auto bad = [&](std::string_view why) {
        return Error{Errc::invalid_argument,
                     "redis_url: " + std::string(why) + " (\"" + std::string(url) + "\")"};
    };
    if (url.substr(0, 5) == "unix:") {
        std::string_view path = url.substr(5);
        if (path.substr(0, 2) == "//") path.remove_prefix(2);
        if (path.empty() || path.front() != '/') return bad("a unix socket needs an absolute path");
        a.unix_path = std::string(path);
        return a;
    }
    if (!url.empty() && url.front() == '/') {
        a.unix_path = std::string(url);
        return a;
    }
    if (url.substr(0, 8) == "redis://") url.remove_prefix(8);
    if (!url.empty() && url.back() == '/') url.remove_suffix(1);
    if (url.find('@') != std::string_view::npos)
        return bad("credentials in the URL are not supported");
    std::string_view host = url;
    if (!url.empty() && url.front() == '[') {
        const auto close = url.find(']');
        if (close == std::string_view::npos) return bad("unclosed '['");
        host = url.substr(1, close - 1);
        const std::string_view rest = url.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || !parse_port(rest.substr(1), a.port)) return bad("bad port");
        }
    } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        host = url.substr(0, colon);
        if (!parse_port(url.substr(colon + 1), a.port)) return bad("bad port");
    }
    const std::string h(host);
    unsigned char buf[16];
    if (inet_pton(AF_INET, h.c_str(), buf) != 1 && inet_pton(AF_INET6, h.c_str(), buf) != 1)
        return bad("an IP address or a unix socket path is needed (no DNS lookup on the loop)");
    a.ip = h;
    return a;
}

std::string make_instance_id(std::string_view hostname, long pid, std::uint64_t random) {
    std::string host;
    for (const char c : hostname.substr(0, 64)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        host.push_back(ok ? c : '_');
    }
    if (host.empty()) host = "host";
    char tail[40];
    std::snprintf(tail, sizeof tail, "-%ld-%06llx", pid,
                  static_cast<unsigned long long>(random & 0xffffffULL));
    return host + tail;
}

bool valid_instance_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

std::string_view route_outcome_name(RouteOutcome o) noexcept {
    switch (o) {
        case RouteOutcome::local:
            return "local";
        case RouteOutcome::routed:
            return "routed";
        case RouteOutcome::parked:
            return "parked";
        case RouteOutcome::duplicate:
            return "duplicate";
        case RouteOutcome::orphaned:
            return "orphaned";
        case RouteOutcome::unavailable:
            return "unavailable";
    }
    return "unavailable";
}

RouteResult decode_route(const RedisValue* reply) {
    RouteResult r;
    if (reply == nullptr || reply->type != RedisValue::Type::array || reply->elements.empty() ||
        !is_str(reply->elements[0]))
        return r;
    const std::string& tag = reply->elements[0].str;
    const bool has_owner = reply->elements.size() >= 2 && is_str(reply->elements[1]);
    if (tag == "local") {
        r.outcome = RouteOutcome::local;
    } else if (tag == "parked") {
        r.outcome = RouteOutcome::parked;
    } else if (tag == "duplicate") {
        r.outcome = RouteOutcome::duplicate;
    } else if ((tag == "routed" || tag == "orphaned") && has_owner) {
        r.outcome = tag == "routed" ? RouteOutcome::routed : RouteOutcome::orphaned;
        r.owner = reply->elements[1].str;
    }
    return r;
}

ClaimResult decode_claim(const RedisValue* reply) {
    ClaimResult r;
    if (reply == nullptr || reply->type != RedisValue::Type::array || reply->elements.size() != 2 ||
        !is_str(reply->elements[0]))
        return r;
    const RedisValue& second = reply->elements[1];
    if (reply->elements[0].str == "conflict" && is_str(second)) {
        r.conflict = true;
        r.owner = second.str;
    } else if (reply->elements[0].str == "ok" && second.type == RedisValue::Type::array) {
        r.ok = true;
        for (const RedisValue& e : second.elements)
            if (is_str(e)) r.parked.push_back(e.str);
    }
    return r;
}

std::vector<OrphanedCall> decode_reap(const RedisValue* reply) {
    std::vector<OrphanedCall> out;
    if (reply == nullptr || reply->type != RedisValue::Type::array) return out;
    for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
        const RedisValue& call = reply->elements[i];
        const RedisValue& dead = reply->elements[i + 1];
        if (is_str(call) && is_str(dead)) out.push_back({call.str, dead.str});
    }
    return out;
}

InboxBatch decode_inbox(const RedisValue* reply, std::string_view last_id) {
    // [[stream, [[id, [field, value, ...]], ...]]]
    InboxBatch b;
    b.last_id = std::string(last_id);
    if (reply == nullptr || reply->type != RedisValue::Type::array) return b;
    for (const RedisValue& stream : reply->elements) {
        if (stream.type != RedisValue::Type::array || stream.elements.size() != 2) continue;
        for (const RedisValue& entry : stream.elements[1].elements) {
            if (entry.type != RedisValue::Type::array || entry.elements.size() != 2 ||
                !is_str(entry.elements[0]))
                continue;
            b.last_id = entry.elements[0].str;
            CallEvent ev;
            const auto& fields = entry.elements[1].elements;
            for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
                if (!is_str(fields[i]) || !is_str(fields[i + 1])) continue;
                if (fields[i].str == "call") ev.call_id = fields[i + 1].str;
                if (fields[i].str == "event") ev.event = fields[i + 1].str;
            }
            if (!ev.call_id.empty() && !ev.event.empty()) b.events.push_back(std::move(ev));
        }
    }
    return b;
}

std::optional<bool> decode_heartbeat(const RedisValue* reply) {
    if (reply == nullptr || reply->type != RedisValue::Type::integer) return std::nullopt;
    return reply->integer == 0;
}

Command heartbeat_command(const Settings& s) {
    Command c = eval(kHeartbeat, s);
    c.push_back(s.instance_info);
    c.push_back(num(s.instance_ttl_ms));
    return c;
}

Command claim_command(const Settings& s, std::string_view call_id) {
    Command c = eval(kClaim, s);
    c.emplace_back(call_id);
    c.push_back(num(s.call_ttl_s));
    return c;
}

Command release_command(const Settings& s, std::string_view call_id) {
    Command c = eval(kRelease, s);
    c.emplace_back(call_id);
    c.push_back(num(s.ended_ttl_s));
    return c;
}

Command route_command(const Settings& s, const CallEvent& event, std::string_view dedup) {
    Command c = eval(kRoute, s);
    c.push_back(event.call_id);
    c.push_back(event.event);
    c.emplace_back(dedup);
    c.push_back(num(s.dedup_ttl_s));
    c.push_back(num(s.pending_ttl_ms));
    c.push_back(num(s.inbox_max_len));
    return c;
}

Command reap_command(const Settings& s) {
    Command c = eval(kReap, s);
    c.push_back(num(s.instance_ttl_ms));
    return c;
}

Command inbox_read_command(const Settings& s, std::string_view last_id) {
    return Command{"XREAD",
                   "COUNT",
                   "100",
                   "BLOCK",
                   num(s.inbox_block_ms),
                   "STREAMS",
                   s.prefix + "inbox:" + s.instance_id,
                   std::string(last_id)};
}

Command leave_command(const Settings& s) {
    return eval(kLeave, s);
}

std::string dedup_key(std::string_view call_id, std::string_view event, std::string_view body) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : body) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    std::string key(call_id);
    key.append(":").append(event).append(":").append(hex);
    return key;
}

}  // namespace ringoverbot::net::directory
