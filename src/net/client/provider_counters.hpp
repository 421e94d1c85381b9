// The cloud client's counters per provider: requests, retries and failures by kind (the rows
// of CloudClient::error_counts(), hence of /metrics).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/client/failure.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::net::client_detail {

// Thread-safe.
class ProviderCounters {
  public:
    // A request made (retry false) or one more attempt of it (retry true).
    void count_request(const std::string& provider, bool retry);
    void count_failure(const std::string& provider, FailureKind kind);

    // Failures by (provider, failure_kind_name), nonzero only.
    std::vector<providers::CloudClient::ErrorCount> error_counts() const;
    std::uint64_t requests(std::string_view provider) const;
    std::uint64_t retries(std::string_view provider) const;
    std::uint64_t reused_connections(std::string_view provider) const;

  private:
    struct ProviderStats {
        std::uint64_t requests = 0, retries = 0, reused = 0;
        std::array<std::uint64_t, kFailureKindCount> failures{};
    };
    mutable std::mutex mu_;
    std::map<std::string, ProviderStats, std::less<>> stats_;
};

}  // namespace ringoverbot::net::client_detail
