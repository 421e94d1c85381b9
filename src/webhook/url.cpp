#include "webhook/url.hpp"

#include "common/text.hpp"

namespace ringoverbot::webhook::detail {

namespace {

std::string_view without_query(std::string_view url) {
    const auto cut = url.find_first_of("?#");
    return cut == std::string_view::npos ? url : url.substr(0, cut);
}

}  // namespace

std::string normalize_url(std::string_view url) {
    url = without_query(url);
    std::string out;
    out.reserve(url.size());
    const auto sep = url.find("://");
    std::string_view rest = url;
    std::string scheme;
    if (sep != std::string_view::npos) {
        for (char c : url.substr(0, sep)) scheme += text::to_lower(c);
        rest = url.substr(sep + 3);
        const auto slash = rest.find('/');
        std::string_view authority = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        // host[:port], host may be an IPv6 literal in brackets.
        std::string_view host = authority, port;
        const auto colon = authority.rfind(':');
        const auto bracket = authority.rfind(']');
        if (colon != std::string_view::npos &&
            (bracket == std::string_view::npos || colon > bracket)) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) port = {};
        out += scheme;
        out += "://";
        for (char c : host) out += text::to_lower(c);
        if (!port.empty()) {
            out += ':';
            out += port;
        }
    }
    out += rest;
    if (!out.empty() && out.back() == '/') out.pop_back();
    return out;
}

std::string_view url_query(std::string_view url) {
    const auto q = url.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view query = url.substr(q + 1);
    const auto hash = query.find('#');
    return hash == std::string_view::npos ? query : query.substr(0, hash);
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) != name) continue;
        std::string_view raw =
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        std::string value;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '%') {
                value += raw[i];
                continue;
            }
            if (i + 2 >= raw.size()) return std::nullopt;
            const int hi = text::hex_value(raw[i + 1]), lo = text::hex_value(raw[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            value += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        return value;
    }
    return std::nullopt;
}

}  // namespace ringoverbot::webhook::detail
