#include "net/server/shared_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringoverbot::net {

std::optional<IpAddress> ip_address(const std::string& host, std::uint16_t port) {
    IpAddress ip;
    if (inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in*>(&ip.ss)->sin_addr) == 1) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ip.ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        ip.len = sizeof(sockaddr_in);
        return ip;
    }
    if (inet_pton(AF_INET6, host.c_str(), &reinterpret_cast<sockaddr_in6*>(&ip.ss)->sin6_addr) ==
        1) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ip.ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        ip.len = sizeof(sockaddr_in6);
        ip.family = AF_INET6;
        return ip;
    }
    return std::nullopt;
}

Result<int> open_shared_listener(const std::string& host, std::uint16_t port) {
    auto ip = ip_address(host, port);
    if (!ip) return Error{Errc::invalid_argument, "host '" + host + "' is not an IP address"};
    auto& [ss, len, family] = *ip;
    const std::string where =
        (family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    const int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{Errc::io, std::string("socket: ") + std::strerror(errno)};
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, SOMAXCONN) != 0) {
        const int e = errno;
        close(fd);
        return Error{Errc::io, "cannot listen on " + where + ": " + std::strerror(e)};
    }
    return fd;
}

Status adopt_listener(lws_vhost* vhost, int fd) {
    lws_sock_file_fd_type desc{};
    desc.filefd = fd;
    if (lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, desc, kListenProtocol,
                                   nullptr) == nullptr) {
        close(fd);
        return Status{Errc::io, "libwebsockets: cannot watch the listening socket"};
    }
    return {};
}

int listen_callback(lws* wsi, lws_callback_reasons reason, void*, void*, std::size_t) {
    if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
    const int fd = lws_get_socket_fd(wsi);
    lws_vhost* vhost = lws_get_vhost(wsi);
    // A bounded batch per wake-up keeps the loop fair to the live calls.
    for (int i = 0; i < 64; ++i) {
        const int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) break;  // EAGAIN: nothing left (or a peer gone); else retried at next wake
        // As libwebsockets does for its own accepted sockets: audio messages go out at once.
        const int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        lws_adopt_socket_vhost(vhost, c);  // closes c itself when it fails
    }
    return 0;
}

}  // namespace ringoverbot::net
