// A worker's own listening socket on its group's port (include/ringoverbot/workers.hpp).
// libwebsockets 4.1 sets SO_REUSEPORT on its listener only for several service threads of one
// context (Debian builds it with LWS_MAX_SMP 1, so never), so a worker opens the listener itself
// with SO_REUSEPORT, watches it as a raw descriptor on its loop, accepts, and adopts each
// accepted socket as an HTTP/WebSocket server connection of its vhost: the same path
// libwebsockets' own listener takes.
#pragma once

#include <libwebsockets.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net {

inline constexpr const char* kListenProtocol = "ringoverbot-listen";

// An IP literal (v4 or v6) and a port as a socket address; nullopt when `host` is none (the
// server, the workers' supervisor and each worker's listener all bind by literal: no DNS).
struct IpAddress {
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family = AF_INET;
};
std::optional<IpAddress> ip_address(const std::string& host, std::uint16_t port);

// Bound and listening, non-blocking, close-on-exec, SO_REUSEADDR + SO_REUSEPORT. io with the
// reason when it cannot be bound.
Result<int> open_shared_listener(const std::string& host, std::uint16_t port);

// Hands `fd` to the vhost's loop (protocol kListenProtocol must be on the vhost); the loop
// closes it with the context. On failure `fd` is closed here.
Status adopt_listener(lws_vhost* vhost, int fd);

// The kListenProtocol callback: accepts what is pending and adopts it.
int listen_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

}  // namespace ringoverbot::net
