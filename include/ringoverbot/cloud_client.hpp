// The cloud providers' client: its settings and its factory. The cloud make_* factories of
// ringoverbot/providers.hpp take the client it makes; a server can run the client's sockets in
// the server's own loop (ServerConfig::cloud_client in ringoverbot/server.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"
#include "ringoverbot/log.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::net {

// The HTTP(S)/WebSocket client every cloud provider of a process shares: one libwebsockets
// client loop on its own thread (DNS on a resolver thread, never on the loop).
struct CloudClientConfig {
    std::string ca_file;      // an extra CA (PEM) trusted beside the system's (RINGOVERBOT_CA_FILE)
    std::string https_proxy;  // "http://host:port" (HTTPS_PROXY); empty = direct connections
    std::vector<std::string> no_proxy;  // host names (or .suffixes) reached directly (NO_PROXY)
    LogSink log;  // unset = JSON lines on stderr; API keys never appear in a line
    LogLevel min_level = LogLevel::info;  // request/response bodies only at debug, keys masked
    // Kept-alive connections for later requests. Not used: libwebsockets 4.1.6's HTTP/1.1 client
    // closes a connection when its request completes (measured), so every request connects.
    std::size_t max_idle_per_host = 4;
};
// invalid_argument for an unreadable CA file or a bad proxy URL.
RINGOVERBOT_API Result<std::shared_ptr<providers::CloudClient>> make_cloud_client(
    CloudClientConfig config);

}  // namespace ringoverbot::net
