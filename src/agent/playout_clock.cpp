#include "agent/playout_clock.hpp"

#include <algorithm>

namespace ringoverbot::agent {

void PlayoutClock::on_sent(std::uint64_t samples, std::int64_t now_us) {
    const std::int64_t start = std::max(playout_end_us_, now_us);
    playout_end_us_ = start + static_cast<std::int64_t>(samples * 1000000 / rate_);
    sent_ += samples;
}

void PlayoutClock::on_break(std::int64_t now_us) {
    sent_ = heard_samples(now_us);
    playout_end_us_ = std::min(playout_end_us_, now_us);
}

std::int64_t PlayoutClock::queued_us(std::int64_t now_us) const {
    return std::max<std::int64_t>(0, playout_end_us_ - now_us);
}

std::uint64_t PlayoutClock::heard_samples(std::int64_t now_us) const {
    const auto queued = static_cast<std::uint64_t>(queued_us(now_us)) * rate_ / 1000000;
    return sent_ > queued ? sent_ - queued : 0;
}

}  // namespace ringoverbot::agent
