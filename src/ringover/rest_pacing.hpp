// The pacing of Ringover REST requests, sans-I/O (time in, decisions out): a token bucket for
// the per-key rate limit and the backoff after a 429.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

// The limit as the server counts it: at most N = max(1, floor(rate)) requests *arrive* in any
// window of N / rate seconds (2 in any second for Ringover's 2/s). The client cannot see an
// arrival, only that it happened between the request's start and its answer (each request
// opens a new connection, whose setup time varies: a cold start, a slow TLS handshake). So a
// request counts from its start until its answer as "maybe arriving now", and a new request
// goes only when fewer than N requests started, are in flight or were answered within the last
// window: whatever the connection times, no window at the server ever holds more than N.
class ArrivalWindow {
  public:
    explicit ArrivalWindow(double rate_per_s);
    std::int64_t ready_at(std::int64_t now_us) const;
    // A request starts (its id is any number unique among those in flight).
    void start(std::uint64_t id);
    // Its answer (or failure) came at now_us.
    void answered(std::uint64_t id, std::int64_t now_us);

  private:
    static constexpr std::int64_t kInFlight = INT64_MAX;
    struct Entry {
        std::uint64_t id;
        std::int64_t until_us;  // the answer's time; kInFlight before it
    };
    std::size_t n_;
    std::int64_t window_us_;
    std::vector<Entry> entries_;  // the latest ones, at most n_ kept once answered
};

// The wait after the n-th 429 in a row (n >= 1): base_ms * 2^(n-1) plus a jitter of up to
// 25 % (`unit_random` in [0, 1)), capped at max_ms.
std::uint32_t rate_limit_backoff_ms(std::uint32_t n, std::uint32_t base_ms, std::uint32_t max_ms,
                                    double unit_random);

}  // namespace ringoverbot::ringover::detail
