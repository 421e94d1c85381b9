// The URLs the cloud client connects to: parsing, joining a base URL with a path, and
// percent-encoding a query value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net {

enum class Scheme : int { http = 0, https = 1, ws = 2, wss = 3 };

struct Url {
    Scheme scheme = Scheme::https;
    std::string host;        // a name, an IPv4 address or an IPv6 address (without brackets)
    std::uint16_t port = 0;  // always set (the scheme's default when the text has none)
    std::string path = "/";  // path and query, starting with '/'
    bool tls() const noexcept { return scheme == Scheme::https || scheme == Scheme::wss; }
    // "https://host:port/path?query" (the port only when not the scheme's default).
    std::string text() const;
};

// Parses an absolute http/https/ws/wss URL. No userinfo, no fragment. invalid_argument with a
// reason otherwise.
Result<Url> parse_url(std::string_view text);
// `base` (a URL that may end with a path, e.g. "https://api.openai.com/v1" or ".../v1/") with
// `path` (starting with '/', may hold a query) appended: ".../v1/chat/completions".
Result<Url> join_url(std::string_view base, std::string_view path);
// Percent-encodes a query value (RFC 3986 unreserved characters pass).
std::string url_encode(std::string_view value);

}  // namespace ringoverbot::net
