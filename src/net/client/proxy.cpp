// The https_proxy and no_proxy settings of the cloud client.
#include "net/client/proxy.hpp"

#include <cctype>

#include "net/client/failure.hpp"
#include "net/client/resolver.hpp"
#include "net/client/url.hpp"

namespace ringoverbot::net::client_detail {

Result<std::pair<std::string, std::uint16_t>> parse_proxy(const std::string& text) {
    auto url = parse_url(text);
    if (!url || url->scheme != Scheme::http || (url->path != "/" && !url->path.empty()))
        return Error{Errc::invalid_argument,
                     "bad https_proxy \"" + one_line(text, 200) + "\": want http://host:port"};
    std::string host = url->host;
    if (!is_ip_literal(host)) {
        // lws resolves the proxy on its loop, synchronously: hand it an address.
        auto [address, error] = resolve_name(host);
        if (!error.empty()) return Error{Errc::invalid_argument, "https_proxy: " + error};
        host = address;
    }
    return std::make_pair(host, url->port);
}

bool no_proxy_matches(const std::vector<std::string>& list, const std::string& host) {
    for (const std::string& raw : list) {
        std::string entry;
        for (char c : raw)
            if (c != ' ') entry += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') {
            if (host.size() > entry.size() && host.ends_with(entry)) return true;
            if (host == entry.substr(1)) return true;
        } else if (host == entry || (host.size() > entry.size() && host.ends_with(entry) &&
                                     host[host.size() - entry.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

}  // namespace ringoverbot::net::client_detail
