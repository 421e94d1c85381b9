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

ArrivalWindow::ArrivalWindow(double rate_per_s)
    : n_(static_cast<std::size_t>(std::max(1.0, std::floor(rate_per_s)))),
      window_us_(static_cast<std::int64_t>(std::ceil(static_cast<double>(n_) * 1e6 / rate_per_s))) {
}

std::int64_t ArrivalWindow::ready_at(std::int64_t now_us) const {
    if (entries_.size() < n_) return now_us;
    // The n-th latest: every later one counts too, so the window must have passed it.
    std::vector<std::int64_t> until;
    until.reserve(entries_.size());
    for (const Entry& e : entries_) until.push_back(e.until_us);
    std::nth_element(until.begin(), until.begin() + static_cast<std::ptrdiff_t>(until.size() - n_),
                     until.end());
    const std::int64_t nth = until[until.size() - n_];
    if (nth == kInFlight) return kInFlight;  // n requests in flight: wait for an answer
    return std::max(now_us, nth + window_us_);
}

void ArrivalWindow::start(std::uint64_t id) {
    entries_.push_back(Entry{id, kInFlight});
}

void ArrivalWindow::answered(std::uint64_t id, std::int64_t now_us) {
    for (Entry& e : entries_)
        if (e.id == id) e.until_us = now_us;
    // Answered entries older than the n latest never matter again.
    std::size_t answered = 0;
    for (const Entry& e : entries_) answered += e.until_us != kInFlight;
    while (answered > n_) {
        auto oldest = std::min_element(
            entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.until_us < b.until_us; });
        entries_.erase(oldest);
        --answered;
    }
}

std::uint32_t rate_limit_backoff_ms(std::uint32_t n, std::uint32_t base_ms, std::uint32_t max_ms,
                                    double unit_random) {
    const double exp = std::pow(2.0, static_cast<double>(std::min<std::uint32_t>(n, 31) - 1));
    double ms = static_cast<double>(base_ms) * (n == 0 ? 1.0 : exp);
    ms *= 1.0 + 0.25 * std::clamp(unit_random, 0.0, 1.0);
    return static_cast<std::uint32_t>(std::min(ms, static_cast<double>(max_ms)));
}

}  // namespace ringoverbot::ringover::detail
