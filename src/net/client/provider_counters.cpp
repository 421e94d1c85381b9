// The cloud client's counters per provider.
#include "net/client/provider_counters.hpp"

namespace ringoverbot::net::client_detail {

void ProviderCounters::count_failure(const std::string& provider, FailureKind kind) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_[provider].failures.at(static_cast<std::size_t>(kind));
}

void ProviderCounters::count_request(const std::string& provider, bool retry) {
    std::lock_guard<std::mutex> lock(mu_);
    ProviderStats& s = stats_[provider];
    if (retry)
        ++s.retries;
    else
        ++s.requests;
}

std::vector<providers::CloudClient::ErrorCount> ProviderCounters::error_counts() const {
    std::vector<providers::CloudClient::ErrorCount> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [provider, s] : stats_) {
        for (std::size_t k = 0; k < kFailureKindCount; ++k) {
            if (s.failures[k] == 0) continue;
            out.push_back({provider, std::string(failure_kind_name(static_cast<FailureKind>(k))),
                           s.failures[k]});
        }
    }
    return out;
}

std::uint64_t ProviderCounters::requests(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.requests;
}

std::uint64_t ProviderCounters::retries(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.retries;
}

std::uint64_t ProviderCounters::reused_connections(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.reused;
}

}  // namespace ringoverbot::net::client_detail
