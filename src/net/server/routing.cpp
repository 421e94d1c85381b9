#include "net/server/routing.hpp"

#include <filesystem>
#include <system_error>

#include "common/bearer.hpp"
#include "common/json_writer.hpp"
#include "common/secret.hpp"
#include "net/server/directory_protocol.hpp"
#include "ringoverbot/workers.hpp"

#ifndef ROB_VERSION_FROM_CMAKE
#define ROB_VERSION_FROM_CMAKE "unknown"
#endif

namespace ringoverbot::net {

RouteDecision route_http(Method method, std::string_view path, const ServerConfig& config) {
    auto only = [&](Route r, bool allowed, std::string_view allow) {
        if (allowed) return RouteDecision{r, 200, {}, {}};
        return RouteDecision{Route::error, 405, "method_not_allowed", allow};
    };
    if (path == "/health")
        return only(Route::health, method == Method::get || method == Method::head, "GET, HEAD");
    if (path == "/metrics")
        return only(Route::metrics, method == Method::get || method == Method::head, "GET, HEAD");
    if (path == config.webhook_path) return only(Route::webhook, method == Method::post, "POST");
    if (path == config.ws_path) return RouteDecision{Route::error, 426, "upgrade_required", {}};
    return RouteDecision{Route::error, 404, "not_found", {}};
}

bool token_matches(std::string_view expected, std::string_view query_token,
                   std::string_view authorization) {
    if (expected.empty()) return true;
    const bool by_query = !query_token.empty() && secret::equal(expected, query_token);
    const std::string_view credentials = bearer::credentials(authorization);
    const bool by_header = !credentials.empty() && secret::equal(expected, credentials);
    return by_query || by_header;
}

UpgradeDecision decide_upgrade(std::string_view path, std::string_view query_token,
                               std::string_view authorization, std::size_t calls_active,
                               bool draining, const ServerConfig& config) {
    if (path != config.ws_path) return {false, Refusal::not_found, 404, "not_found"};
    if (!token_matches(config.stream_token, query_token, authorization))
        return {false, Refusal::bad_token, 401, "bad_token"};
    if (draining) return {false, Refusal::draining, 503, "draining"};
    if (calls_active >= config.max_calls) return {false, Refusal::max_calls, 503, "max_calls"};
    return {true, Refusal::not_found, 101, {}};
}

std::string error_body(std::string_view reason) {
    std::string out;
    json::Writer(out).begin_object().field("error", reason).end_object();
    return out;
}

std::string health_body(const ServerStats& stats, bool ready, std::size_t max_calls,
                        double uptime_s, const WorkersHealth* workers) {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.field("status", stats.draining ? "draining" : ready ? "ok" : "starting");
    w.key("calls").uinteger(stats.calls_active);
    w.key("max_calls").uinteger(max_calls);
    w.key("calls_total").uinteger(stats.calls_total);
    w.key("uptime_s").number(static_cast<double>(static_cast<std::int64_t>(uptime_s * 10)) / 10);
    w.field("version", ROB_VERSION_FROM_CMAKE);
    if (workers != nullptr) {
        w.key("worker").uinteger(workers->worker);
        w.key("workers").begin_object();
        w.key("count").uinteger(workers->count);
        w.key("alive").uinteger(workers->alive);
        w.key("ready").uinteger(workers->ready);
        w.key("restarts").uinteger(workers->restarts);
        w.end_object();
    }
    w.end_object();
    return out;
}

std::string base_url(std::string_view host, std::uint16_t port) {
    std::string out = "http://";
    const bool v6 = host.find(':') != std::string_view::npos;
    if (v6) out.push_back('[');
    out.append(host);
    if (v6) out.push_back(']');
    out.push_back(':');
    json::append_uint(out, port);
    return out;
}

std::string webhook_public_url(std::string_view public_url, std::string_view base,
                               std::string_view webhook_path) {
    std::string out(public_url.empty() ? base : public_url);
    while (!out.empty() && out.back() == '/') out.pop_back();
    if (webhook_path.empty() || webhook_path.front() != '/') out.push_back('/');
    out.append(webhook_path);
    return out;
}

std::string validate(const ServerConfig& c) {
    auto path_ok = [](std::string_view p) {
        if (p.size() < 2 || p.front() != '/') return p == "/";
        for (char ch : p)
            if (ch == '?' || ch == '#' || ch == ' ' || static_cast<unsigned char>(ch) < 0x21)
                return false;
        return true;
    };
    if (c.host.empty()) return "host: empty";
    if (c.worker && (c.host != c.worker->host() || c.port != c.worker->port()))
        return "port: a worker serves on its group's address " +
               base_url(c.worker->host(), c.worker->port()).substr(7);
    if (!path_ok(c.ws_path)) return "ws_path: must be an absolute path like /ws";
    if (!path_ok(c.webhook_path)) return "webhook_path: must be an absolute path";
    for (std::string_view fixed : {"/health", "/metrics"}) {
        if (c.ws_path == fixed) return "ws_path: " + std::string(fixed) + " is taken";
        if (c.webhook_path == fixed) return "webhook_path: " + std::string(fixed) + " is taken";
    }
    if (c.ws_path == c.webhook_path) return "webhook_path: same as ws_path";
    if (!c.public_url.empty() && c.public_url.rfind("http://", 0) != 0 &&
        c.public_url.rfind("https://", 0) != 0)
        return "public_url: must start with http:// or https://";
    if (c.max_calls == 0) return "max_calls: must be at least 1";
    if (c.max_message_bytes < 1024) return "max_message_bytes: must be at least 1024";
    if (c.max_body_bytes < 1024) return "max_body_bytes: must be at least 1024";
    if (c.max_header_bytes < 1024 || c.max_header_bytes > 65535)
        return "max_header_bytes: must be within 1024..65535";
    if (c.ping_interval_s == 0 || c.ping_interval_s > 65535)
        return "ping_interval_s: must be within 1..65535";
    if (c.idle_timeout_s <= c.ping_interval_s || c.idle_timeout_s > 65535)
        return "idle_timeout_s: must be above ping_interval_s and at most 65535";
    if (c.http_timeout_s == 0) return "http_timeout_s: must be at least 1";
    if (!(c.drain_timeout_s >= 0) || c.drain_timeout_s > 86400)
        return "drain_timeout_s: must be within 0..86400";
    if (!(c.link_window_s >= 0)) return "link_window_s: must not be negative";
    if (std::error_code ec;
        !c.recording_dir.empty() && !std::filesystem::is_directory(c.recording_dir, ec))
        return "recording_dir: not an existing folder";
    return validate_directory(c.directory);
}

std::string validate_directory(const DirectoryConfig& d) {
    if (d.redis_url.empty()) return {};
    if (const auto a = directory::parse_redis_url(d.redis_url); !a) return a.error().message;
    if (!d.instance_id.empty() && !directory::valid_instance_id(d.instance_id))
        return "instance_id: letters, digits and -_.: only, at most 128 bytes";
    if (!directory::valid_instance_id(d.key_prefix))
        return "redis_key_prefix: letters, digits and -_.: only";
    const auto within = [](double v, double lo, double hi) { return v >= lo && v <= hi; };
    if (!within(d.heartbeat_s, 0.05, 60)) return "redis_heartbeat_s: must be within 0.05..60";
    if (!within(d.instance_ttl_s, 0.1, 600) || d.instance_ttl_s <= d.heartbeat_s)
        return "redis_instance_ttl_s: must be above redis_heartbeat_s and at most 600";
    if (!within(d.reaper_s, 0.05, 600)) return "redis_reaper_s: must be within 0.05..600";
    if (!within(d.redis_timeout_s, 0.01, 60)) return "redis_timeout_s: must be within 0.01..60";
    if (!within(d.pending_ttl_s, 1, 86400)) return "redis_pending_ttl_s: must be within 1..86400";
    if (!within(d.dedup_ttl_s, 1, 7 * 86400)) return "redis_dedup_ttl_s: must be within 1..604800";
    return {};
}

Status validate_config(const ServerConfig& config) {
    if (std::string problem = validate(config); !problem.empty())
        return Error{Errc::invalid_argument, std::move(problem)};
    return {};
}

}  // namespace ringoverbot::net
