// The pacing of Ringover REST requests, sans-I/O (time in, decisions out): a token bucket for
// the per-key rate limit and the backoff after a 429.
#pragma once

#include <cstdint>

namespace ringoverbot::ringover::detail {

// `rate_per_s` tokens a second, at most `burst` kept; full at the start. Times in microseconds
// on any monotonic clock. A request goes when a token is there and no 429 hold is running.
class TokenBucket {
  public:
    TokenBucket(double rate_per_s, std::uint32_t burst);
    // The earliest time (>= now_us) a request may go.
    std::int64_t ready_at(std::int64_t now_us);
    // Takes a token for a request that goes at now_us (ready_at(now_us) <= now_us).
    void take(std::int64_t now_us);
    // The server said "too fast": nothing goes before `until_us`; then one request goes and
    // the pacing starts again from there (no burst right after a 429).
    void hold_until(std::int64_t until_us);

  private:
    void refill(std::int64_t now_us);
    double rate_per_us_;
    double capacity_;
    double tokens_;
    std::int64_t last_us_ = 0;
    bool started_ = false;
    std::int64_t hold_until_us_ = 0;
};

// The wait after the n-th 429 in a row (n >= 1): base_ms * 2^(n-1) plus a jitter of up to
// 25 % (`unit_random` in [0, 1)), capped at max_ms.
std::uint32_t rate_limit_backoff_ms(std::uint32_t n, std::uint32_t base_ms, std::uint32_t max_ms,
                                    double unit_random);

}  // namespace ringoverbot::ringover::detail
