// The per-call playout clock: which sample of the bot's speech the caller is hearing now.
//
// The media server plays each streamAudio message after the previous one, in real time. From
// what was sent and when, the clock knows what has been played, what is still queued, and so
// how far ahead of playout the bot is (the pacer keeps that under about a second), where a
// barge-in cut the reply, and which part of the reply's text the caller actually heard.
#pragma once

#include <cstdint>

namespace ringoverbot::agent {

class PlayoutClock {
  public:
    explicit PlayoutClock(std::uint32_t sample_rate_hz) : rate_(sample_rate_hz) {}

    // `samples` were sent at `now_us`; they play after everything already queued.
    void on_sent(std::uint64_t samples, std::int64_t now_us);
    // A break at `now_us` drops everything still queued.
    void on_break(std::int64_t now_us);

    std::uint64_t sent_samples() const { return sent_; }
    std::uint64_t heard_samples(std::int64_t now_us) const;
    // Microseconds of audio sent but not yet played at `now_us`.
    std::int64_t queued_us(std::int64_t now_us) const;
    bool playing(std::int64_t now_us) const { return queued_us(now_us) > 0; }
    // When everything sent so far will have played.
    std::int64_t playout_end_us() const { return playout_end_us_; }
    std::uint32_t sample_rate_hz() const { return rate_; }

  private:
    std::uint32_t rate_;
    std::uint64_t sent_ = 0;
    std::int64_t playout_end_us_ = 0;
};

}  // namespace ringoverbot::agent
