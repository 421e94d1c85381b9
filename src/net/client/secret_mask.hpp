// The secrets the cloud client has seen in request headers, and text with every one of them
// masked: no API key reaches a log line or a failure message.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::net::client_detail {

// Thread-safe.
class SecretMask {
  public:
    // A secret header's value ("Bearer sk-...", "Token ..."); its last word too, as the key
    // alone may appear in a body. At most 256 are kept (a new one replaces the shortest).
    void add(const std::string& value);
    // `text` with every secret replaced by "***".
    std::string mask(std::string_view text) const;
    // `body` masked, then cut at `cap` bytes (on a UTF-8 boundary) with its size noted.
    std::string excerpt(std::string_view body, std::size_t cap) const;

  private:
    mutable std::mutex mu_;
    std::vector<std::string> secrets_;  // longest first
};

}  // namespace ringoverbot::net::client_detail
