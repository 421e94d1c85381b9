// Why a cloud request failed: the kinds (the label of the failure counters in /metrics), the
// failure a handler receives, and how the client maps an HTTP status or a connection error to
// a kind.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net {

// Why a request failed; the label of provider_errors_total{provider,kind} in /metrics.
enum class FailureKind : int {
    dns = 0,           // the name did not resolve
    connect = 1,       // TCP connect refused / unreachable, proxy refused
    tls = 2,           // handshake or certificate verification failed
    timeout = 3,       // a deadline passed (connect, first byte or total)
    unauthorized = 4,  // HTTP 401/403 (or a WS upgrade refused with them)
    rate_limited = 5,  // HTTP 429
    client_error = 6,  // other HTTP 4xx
    server_error = 7,  // HTTP 5xx
    dropped = 8,       // the connection closed before the response was complete
    protocol = 9,      // bytes the provider's codec could not make sense of
    count_             // not a kind: the number of kinds (stays last)
};
inline constexpr std::size_t kFailureKindCount = static_cast<std::size_t>(FailureKind::count_);
std::string_view failure_kind_name(FailureKind kind) noexcept;  // "dns", "connect", ...

struct Failure {
    FailureKind kind = FailureKind::dropped;
    int http_status = 0;  // when the server answered
    std::string message;  // one line, no secret; may quote the error body's message
    // timeout for FailureKind::timeout, provider_failed otherwise.
    Errc code() const noexcept {
        return kind == FailureKind::timeout ? Errc::timeout : Errc::provider_failed;
    }
    Error error() const { return Error{code(), message}; }
};

namespace client_detail {

// The failure kind of an HTTP status that is not 2xx (a response, or a refused WS upgrade).
FailureKind status_kind(int status) noexcept;
// The text lws gives with CLIENT_CONNECTION_ERROR (may be NULL, may have no length).
std::string connection_error_text(const void* in, std::size_t len);
// The failure kind of an lws CLIENT_CONNECTION_ERROR text.
FailureKind connection_error_kind(std::string_view text) noexcept;
// One line for a message: control characters replaced, at most `cap` bytes.
std::string one_line(std::string_view text, std::size_t cap);

}  // namespace client_detail

}  // namespace ringoverbot::net
