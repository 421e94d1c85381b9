// The transport of the simulated media server: one libwebsockets context, one service loop
// (the calling thread), one client connection per call, and a 20 ms pacing timer that drives
// every SimulatedCall on the wall clock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "call/simulated_call.hpp"
#include "ringoverbot/error.hpp"

namespace ringoverbot::callsim {

struct WsUrl {
    bool tls = false;
    std::string host;  // without brackets for IPv6 literals
    int port = 0;
    std::string path;  // with the query, starting with '/'
};
// ws://host[:port][/path[?query]] or wss://...
Result<WsUrl> parse_ws_url(const std::string& url);

struct ClientConfig {
    WsUrl url;
    std::string token;                 // Authorization: Bearer, when not empty
    std::string ca_file;               // an extra CA for wss (RINGOVERBOT_CA_FILE)
    std::uint32_t ramp_ms = 0;         // spread the connection attempts over this time
    std::uint32_t hard_limit_s = 180;  // the loop stops after this whatever happens
};

// Connects every call, runs the loop until each has ended, and returns. Errors only when the
// context cannot be created; a call's own failures are in its record.
Status run_calls(const ClientConfig& config, std::vector<std::unique_ptr<SimulatedCall>>& calls);

// Microseconds on a monotonic clock (the one every record uses).
std::int64_t now_us();

}  // namespace ringoverbot::callsim
