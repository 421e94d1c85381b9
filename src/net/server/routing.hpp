// The server's routing decisions, sans-I/O (unit-tested without a socket): which handler a
// request goes to, whether a streamer upgrade is allowed, and the small bodies the server
// writes itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/server/metrics.hpp"
#include "ringoverbot/server.hpp"

namespace ringoverbot::net {

enum class Method : int { get, head, post, other };

enum class Route : int { health, metrics, webhook, error };
struct RouteDecision {
    Route route = Route::error;
    int status = 200;        // for Route::error
    std::string_view error;  // the reason in {"error":...}
    std::string_view allow;  // the Allow header of a 405
};
// A plain HTTP request (not an upgrade). `path` has no query.
RouteDecision route_http(Method method, std::string_view path, const ServerConfig& config);

struct UpgradeDecision {
    bool accept = false;
    Refusal refusal = Refusal::not_found;
    int status = 404;
    std::string_view error;  // "not_found", "bad_token", "max_calls", "draining"
};
// A WebSocket upgrade on `path` (no query). `query_token` is the ?token= value (empty when
// absent); `authorization` the Authorization header (empty when absent).
UpgradeDecision decide_upgrade(std::string_view path, std::string_view query_token,
                               std::string_view authorization, std::size_t calls_active,
                               bool draining, const ServerConfig& config);

// True when `expected` is empty, or equals the ?token= value or the "Bearer" credentials of
// the Authorization header. Constant time in the token's bytes.
bool token_matches(std::string_view expected, std::string_view query_token,
                   std::string_view authorization);

// {"error":"<reason>"}
std::string error_body(std::string_view reason);
// {"status":"ok"|"draining"|"starting","calls":N,"max_calls":M,"calls_total":T,"uptime_s":U,
//  "version":V}; draining wins over starting.
// In a worker group (ServerConfig::worker) the counts are the group's and these are added:
// "worker":I (the one answering),"workers":{"count":N,"alive":A,"ready":R,"restarts":K}.
struct WorkersHealth {
    unsigned worker = 0, count = 0, alive = 0, ready = 0;
    std::uint64_t restarts = 0;
};
std::string health_body(const ServerStats& stats, bool ready, std::size_t max_calls,
                        double uptime_s, const WorkersHealth* workers = nullptr);

// "http://HOST:PORT" (IPv6 literals bracketed).
std::string base_url(std::string_view host, std::uint16_t port);
// The URL webhooks are signed for: public_url (or the base URL) + webhook_path, without a
// doubled '/'.
std::string webhook_public_url(std::string_view public_url, std::string_view base,
                               std::string_view webhook_path);
// Problems with the settings, as one line naming the setting; empty when valid.
std::string validate(const ServerConfig& config);
// The directory's settings (named as the agent's JSON config names them); empty when valid.
std::string validate_directory(const DirectoryConfig& directory);

}  // namespace ringoverbot::net
