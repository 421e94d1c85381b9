// The synthesized audio of one reply, at the outbound rate, between the TTS and the pacer: a
// FIFO whose positions count from the reply's first sample. Positions are what actions and the
// spoken text are anchored to. The last few seconds sent stay in the buffer so that a paused
// reply can be played again from an earlier position; the buffer is given back when the reply
// ends (reset(): a call that is not speaking holds none, a greeting's seconds of audio are not
// kept for the rest of the call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringoverbot::agent {

class ReplyAudio {
  public:
    explicit ReplyAudio(std::size_t max_queued_samples) : max_queued_(max_queued_samples) {}

    // Appends what fits under the queue limit; returns the samples kept (the rest of a runaway
    // synthesis is dropped rather than held without bound).
    std::size_t append(std::span<const std::int16_t> samples);
    // The buffer to append to directly (e.g. a resampler's output); call commit() after.
    std::vector<std::int16_t>& buffer() { return buf_; }
    // Accounts for samples appended to buffer(), trimming what is over the limit.
    std::size_t commit(std::size_t size_before);

    std::size_t queued_samples() const { return buf_.size() - read_; }
    bool full() const { return queued_samples() >= max_queued_; }
    // The next `n` queued samples (n <= queued_samples()), then consume(n).
    std::span<const std::int16_t> peek(std::size_t n) const {
        return std::span<const std::int16_t>(buf_).subspan(read_, n);
    }
    void consume(std::size_t n);

    // Keeps at least the last `samples` sent samples (a reply resumed after a false
    // interruption replays its unplayed audio from there); 0 = none.
    void set_retain(std::size_t samples) { retain_ = samples; }
    // The oldest reply position still held.
    std::uint64_t oldest_kept() const { return sent_ - read_; }
    // Makes the audio from `position` (oldest_kept()..sent()) queued again; false outside that.
    bool rewind_to(std::uint64_t position);

    std::uint64_t synthesized() const { return synthesized_; }  // reply samples so far
    std::uint64_t sent() const { return sent_; }                // of which handed to the pacer
    std::size_t held_bytes() const { return buf_.capacity() * sizeof(std::int16_t); }
    void reset();

  private:
    std::size_t max_queued_;
    std::vector<std::int16_t> buf_;
    std::size_t read_ = 0;
    std::size_t retain_ = 0;
    std::uint64_t synthesized_ = 0;
    std::uint64_t sent_ = 0;
};

}  // namespace ringoverbot::agent
