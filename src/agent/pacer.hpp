// Decides when the next chunk may be sent: keeps at most `max_lead_ms` queued ahead of the
// playout position.
#pragma once

#include <cstdint>

#include "agent/playout_clock.hpp"

namespace ringoverbot::agent {

struct PacerConfig {
    std::uint32_t chunk_ms = 200;      // 100..500 ms per streamAudio message
    std::uint32_t max_lead_ms = 1000;  // never more than this ahead of playout
};

class Pacer {
  public:
    explicit Pacer(PacerConfig config = {}) : config_(config) {}
    bool may_send(const PlayoutClock& clock, std::int64_t now_us) const;
    // When may_send() becomes true again (for the host's timer).
    std::int64_t next_send_us(const PlayoutClock& clock, std::int64_t now_us) const;
    std::uint32_t chunk_samples(std::uint32_t rate_hz) const {
        return rate_hz * config_.chunk_ms / 1000;
    }
    const PacerConfig& config() const { return config_; }

  private:
    PacerConfig config_;
};

}  // namespace ringoverbot::agent
