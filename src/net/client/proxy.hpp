// The cloud client's HTTPS proxy: the https_proxy setting ("http://host:port", HTTPS_PROXY)
// and the no_proxy list (NO_PROXY) of hosts reached directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net::client_detail {

// The proxy's address and port. A name is resolved here, once: lws resolves the proxy on its
// loop, synchronously. invalid_argument for anything but "http://host:port".
Result<std::pair<std::string, std::uint16_t>> parse_proxy(const std::string& text);
// True when `host` is reached directly: an entry equal to it, a parent domain of it
// ("example.com" or ".example.com"), or "*". Entries are compared lowercased, blanks removed.
bool no_proxy_matches(const std::vector<std::string>& list, const std::string& host);

}  // namespace ringoverbot::net::client_detail
