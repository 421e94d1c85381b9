// The per-call playout clock: which sample of the bot's speech the caller is hearing now.
//
// The media server plays each streamAudio message after the previous one, in real time. From
// what was sent and when, the clock knows what has been played, what is still queued, and so
// how far ahead of playout the bot is (the pacer keeps that under about a second), where a
// barge-in cut the reply, and which part of the reply's text the caller actually heard.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Maps the samples of a reply to its text, so a cut-off reply keeps only the words heard.
class SpokenText {
  public:
    // Appends a piece of text whose synthesized audio is `samples` long.
    void add(std::string_view text, std::uint64_t samples);
    // The text heard after `heard` samples: whole segments, then the words of the segment
    // being played in proportion to the part of it played.
    std::string heard(std::uint64_t heard_samples) const;
    std::string full() const;
    std::uint64_t total_samples() const { return total_; }
    void clear();

  private:
    struct Segment {
        std::string text;
        std::uint64_t start, samples;
    };
    std::vector<Segment> segments_;
    std::uint64_t total_ = 0;
};

// Decides when the next chunk may be sent: keeps at most `max_lead_ms` queued ahead of the
// playout position.
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
