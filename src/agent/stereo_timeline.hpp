// The two sides of a call laid on one timeline, for a recording: the caller's audio on the left
// (in arrival order), the bot's on the right at the time the playout clock says the caller hears
// it, so a barge-in's break shows as a cut. Sans-I/O: positions come from the host's clock
// (microseconds since the call started) and finished stereo frames are handed back.
//
// A fixed ring spans the frames not yet handed back: the bot's audio is placed at most the
// pacer's lead ahead and the caller's is held `hold_ms` for late frames, so memory is bounded
// whatever the call's length, and nothing is allocated per frame once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringoverbot::agent {

class StereoTimeline {
  public:
    // `rate_hz`: of both inputs and of the output; `start_us`: the call's start (sample 0);
    // `span_ms`: how far ahead of what was handed back audio may be placed; `hold_ms`: how long
    // the caller's frames may lag the clock before their place is handed back.
    StereoTimeline(std::uint32_t rate_hz, std::int64_t start_us, std::uint32_t span_ms = 3000,
                   std::uint32_t hold_ms = 300);

    // The caller's next samples, received at `now_us`. They follow the previous ones; after a
    // gap in the stream longer than the hold (the media server stopped sending), they are
    // placed where the clock says and the gap stays silent.
    void caller(std::span<const std::int16_t> pcm, std::int64_t now_us);
    // The bot's samples that start playing at `start_us` (PlayoutClock: max(now, playout end)).
    void bot(std::span<const std::int16_t> pcm, std::int64_t start_us);
    // A break at `now_us`: bot audio placed at or after it never plays.
    void cut(std::int64_t now_us);

    // Hands back (appends to `out`, interleaved L R) every frame the clock has passed by more
    // than the hold. Call it as time goes on (e.g. on every caller frame).
    void take_ready(std::int64_t now_us, std::vector<std::int16_t>& out);
    // The call ended at `end_us`: hands back everything up to the end (silence where nothing
    // was placed; the caller's audio if it ran past the clock); bot audio after it is dropped.
    void take_rest(std::int64_t end_us, std::vector<std::int16_t>& out);

    std::uint64_t frames_out() const noexcept { return flushed_; }
    // Samples that could not be placed: too far ahead of the ring, or behind what was handed
    // back (a host clock that went backwards).
    std::uint64_t dropped_samples() const noexcept { return dropped_; }
    std::uint32_t rate_hz() const noexcept { return rate_; }

  private:
    std::uint64_t position(std::int64_t t_us) const noexcept;
    void flush_to(std::uint64_t pos, std::vector<std::int16_t>* out);
    // Makes room for frames up to `end` (exclusive), handing back older ones to `spill_`.
    void reserve_to(std::uint64_t end);
    std::int16_t& left(std::uint64_t pos) { return ring_[2 * (pos % frames_)]; }
    std::int16_t& right(std::uint64_t pos) { return ring_[2 * (pos % frames_) + 1]; }

    std::uint32_t rate_;
    std::int64_t start_us_;
    std::uint64_t hold_frames_;
    std::size_t frames_;               // ring capacity in frames
    std::vector<std::int16_t> ring_;   // interleaved, frames_ frames
    std::vector<std::int16_t> spill_;  // frames handed back early to make room
    std::uint64_t flushed_ = 0;        // first frame not handed back
    std::uint64_t caller_pos_ = 0;     // where the caller's next sample goes
    bool caller_started_ = false;
    std::uint64_t bot_end_ = 0;  // end of the bot audio placed so far
    std::uint64_t dropped_ = 0;
};

}  // namespace ringoverbot::agent
