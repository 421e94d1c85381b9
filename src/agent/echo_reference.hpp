// What the bot is playing to the caller right now, as a level: the reference of the VAD's echo
// gate. The engine records the level of every 20 ms of audio it sends, at the time the playout
// clock says it will play; asked at a time, it answers with the loudest block that played
// within the last `window_ms` (the echo comes back a little after the sound is played: a line's
// round trip plus the media server's jitter buffer).
//
// A fixed ring: the pacer keeps at most max_lead_ms queued, so the blocks alive at once are
// bounded and nothing is allocated after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringoverbot::agent {

class EchoReference {
  public:
    static constexpr std::uint32_t kBlockMs = 20;
    static constexpr double kSilenceDbfs = -120.0;

    // `max_queued_ms`: the most audio ever sent ahead of playout (the pacer's lead plus one
    // chunk); `window_ms`: how long an echo can lag what is played.
    EchoReference(std::uint32_t rate_hz, std::uint32_t max_queued_ms,
                  std::uint32_t window_ms = 200);

    // `samples` were sent and play from `start_us` on (PlayoutClock: max(now, playout end)).
    void on_sent(std::int64_t start_us, std::span<const std::int16_t> samples);
    // A break at `now_us`: what had not started playing never will.
    void on_break(std::int64_t now_us);
    // The level (dBFS) of the loudest block playing at `now_us` or played within the window
    // before it; kSilenceDbfs when none.
    double level_at(std::int64_t now_us);
    void clear() { count_ = 0; }

  private:
    struct Block {
        std::int64_t start_us = 0, end_us = 0;
        double dbfs = kSilenceDbfs;
    };
    Block& at(std::size_t i) { return ring_[(head_ + i) % ring_.size()]; }
    void push(const Block& b);

    std::uint32_t rate_;
    std::int64_t window_us_;
    std::vector<Block> ring_;
    std::size_t head_ = 0, count_ = 0;
};

}  // namespace ringoverbot::agent
