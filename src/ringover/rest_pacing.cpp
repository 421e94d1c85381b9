// The token bucket and the 429 backoff of the Ringover REST client.
#include "ringover/rest_pacing.hpp"

#include <algorithm>
#include <cmath>

namespace ringoverbot::ringover::detail {

TokenBucket::TokenBucket(double rate_per_s, std::uint32_t burst)
    : rate_per_us_(rate_per_s / 1e6),
      capacity_(static_cast<double>(std::max<std::uint32_t>(burst, 1))),
      tokens_(capacity_) {}

void TokenBucket::refill(std::int64_t now_us) {
    if (!started_) {
        started_ = true;
        last_us_ = now_us;
        return;
    }
    if (now_us <= last_us_) return;
    tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_us - last_us_) * rate_per_us_);
    last_us_ = now_us;
}

std::int64_t TokenBucket::ready_at(std::int64_t now_us) {
    const std::int64_t from = std::max(now_us, hold_until_us_);
    refill(from);
    if (tokens_ >= 1.0) return from;
    // Rounded up: a request is never early by a fraction of a microsecond.
    return from + static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_per_us_));
}

void TokenBucket::take(std::int64_t now_us) {
    refill(now_us);
    // Nearly a token (the rounding of ready_at): the request goes, the bucket is empty.
    tokens_ = std::max(0.0, tokens_ - 1.0);
}

void TokenBucket::hold_until(std::int64_t until_us) {
    hold_until_us_ = std::max(hold_until_us_, until_us);
    tokens_ = 1.0;
    started_ = true;
    last_us_ = hold_until_us_;
}

std::uint32_t rate_limit_backoff_ms(std::uint32_t n, std::uint32_t base_ms, std::uint32_t max_ms,
                                    double unit_random) {
    const double exp = std::pow(2.0, static_cast<double>(std::min<std::uint32_t>(n, 31) - 1));
    double ms = static_cast<double>(base_ms) * (n == 0 ? 1.0 : exp);
    ms *= 1.0 + 0.25 * std::clamp(unit_random, 0.0, 1.0);
    return static_cast<std::uint32_t>(std::min(ms, static_cast<double>(max_ms)));
}

}  // namespace ringoverbot::ringover::detail
