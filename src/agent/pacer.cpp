#include "agent/pacer.hpp"

namespace ringoverbot::agent {

bool Pacer::may_send(const PlayoutClock& clock, std::int64_t now_us) const {
    const std::int64_t chunk_us = std::int64_t{config_.chunk_ms} * 1000;
    return clock.queued_us(now_us) + chunk_us <= std::int64_t{config_.max_lead_ms} * 1000;
}

std::int64_t Pacer::next_send_us(const PlayoutClock& clock, std::int64_t now_us) const {
    if (may_send(clock, now_us)) return now_us;
    const std::int64_t chunk_us = std::int64_t{config_.chunk_ms} * 1000;
    return clock.playout_end_us() + chunk_us - std::int64_t{config_.max_lead_ms} * 1000;
}

}  // namespace ringoverbot::agent
