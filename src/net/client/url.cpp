// URL parsing and joining for the cloud client.
#include "net/client/url.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace ringoverbot::net {

namespace {

std::uint16_t default_port(Scheme scheme) noexcept {
    return (scheme == Scheme::http || scheme == Scheme::ws) ? 80 : 443;
}

std::string_view scheme_name(Scheme scheme) noexcept {
    switch (scheme) {
        case Scheme::http:
            return "http";
        case Scheme::https:
            return "https";
        case Scheme::ws:
            return "ws";
        case Scheme::wss:
            return "wss";
    }
    return "https";
}

Error bad_url(std::string_view text, std::string_view why) {
    std::string shown(text.substr(0, 200));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return Error{Errc::invalid_argument, "bad URL \"" + shown + "\": " + std::string(why)};
}

bool host_char_ok(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string Url::text() const {
    std::string out(scheme_name(scheme));
    out += "://";
    const bool v6 = host.find(':') != std::string::npos;
    if (v6) out += '[';
    out += host;
    if (v6) out += ']';
    if (port != default_port(scheme)) {
        out += ':';
        out += std::to_string(port);
    }
    out += path;
    return out;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) return bad_url(text, "no scheme");
    std::string scheme;
    for (char c : text.substr(0, sep))
        scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "http") {
        url.scheme = Scheme::http;
    } else if (scheme == "https") {
        url.scheme = Scheme::https;
    } else if (scheme == "ws") {
        url.scheme = Scheme::ws;
    } else if (scheme == "wss") {
        url.scheme = Scheme::wss;
    } else {
        return bad_url(text, "the scheme is not http, https, ws or wss");
    }
    std::string_view rest = text.substr(sep + 3);
    for (char c : rest) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return bad_url(text, "a space or control character");
    }
    if (rest.find('#') != std::string_view::npos) return bad_url(text, "a fragment");
    const auto path_at = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_at);
    if (path_at != std::string_view::npos) {
        url.path = std::string(rest.substr(path_at));
        if (url.path.front() == '?') url.path.insert(url.path.begin(), '/');
    }
    if (authority.find('@') != std::string_view::npos) return bad_url(text, "userinfo");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(text, "an unclosed '['");
        url.host = std::string(authority.substr(1, close - 1));
        in6_addr a6{};
        if (inet_pton(AF_INET6, url.host.c_str(), &a6) != 1)
            return bad_url(text, "not an IPv6 address in brackets");
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url(text, "junk after ']'");
            port_text = after.substr(1);
            if (port_text.empty()) return bad_url(text, "an empty port");
        }
    } else {
        const auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return bad_url(text, "an empty port");
        }
        for (char& c : url.host) {
            if (!host_char_ok(c)) return bad_url(text, "a character not allowed in a host name");
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (url.host.empty()) return bad_url(text, "no host");
    if (url.host.size() > 253) return bad_url(text, "the host name is too long");
    url.port = default_port(url.scheme);
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return bad_url(text, "the port is not a number in 1..65535");
        url.port = static_cast<std::uint16_t>(value);
    }
    return url;
}

Result<Url> join_url(std::string_view base, std::string_view path) {
    auto parsed = parse_url(base);
    if (!parsed) return parsed.error();
    Url url = std::move(*parsed);
    if (url.path.find('?') != std::string::npos)
        return bad_url(base, "a base URL with a query cannot take a path");
    if (path.empty() || path.front() != '/')
        return Error{Errc::invalid_argument, "the joined path must start with '/'"};
    for (char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '#')
            return Error{Errc::invalid_argument, "the joined path has a space, control or '#'"};
    }
    while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
    url.path += path;
    return url;
}

std::string url_encode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

}  // namespace ringoverbot::net
