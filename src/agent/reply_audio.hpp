// The synthesized audio of one reply, at the outbound rate, between the TTS and the pacer: a
// FIFO whose positions count from the reply's first sample. Positions are what actions and the
// spoken text are anchored to.
//
// The queue is a list of segments. A segment either shares immutable samples owned elsewhere
// (a cached phrase: every call playing the same greeting reads the one copy in the TTS cache)
// or owns what a provider streamed or a resampler produced. The last few seconds sent stay
// held (set_retain) so that a paused reply can be played again from an earlier position;
// everything is given back when the reply ends (reset()) or, with nothing retained, once the
// pacer has taken it all: a call that is not speaking holds none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace ringoverbot::agent {

class ReplyAudio {
  public:
    explicit ReplyAudio(std::size_t max_queued_samples) : max_queued_(max_queued_samples) {}

    // Appends (copies) what fits under the queue limit; returns the samples kept (the rest of a
    // runaway synthesis is dropped rather than held without bound).
    std::size_t append(std::span<const std::int16_t> samples);
    // Queues samples that stay valid while `owner` lives, without copying them; same limit.
    std::size_t append_shared(std::shared_ptr<const void> owner,
                              std::span<const std::int16_t> samples);
    // The buffer to append to directly (e.g. a resampler's output); call commit() after.
    std::vector<std::int16_t>& buffer();
    // Accounts for samples appended to buffer(), trimming what is over the limit.
    std::size_t commit(std::size_t size_before);

    std::size_t queued_samples() const { return queued_; }
    bool full() const { return queued_samples() >= max_queued_; }
    // The next `n` queued samples (n <= queued_samples()), then consume(n). Valid until the
    // next call on the queue.
    std::span<const std::int16_t> peek(std::size_t n) const;
    void consume(std::size_t n);

    // Keeps at least the last `samples` sent samples (a reply resumed after a false
    // interruption replays its unplayed audio from there); 0 = none.
    void set_retain(std::size_t samples) { retain_ = samples; }
    // The oldest reply position still held.
    std::uint64_t oldest_kept() const { return sent_ - kept_; }
    // Makes the audio from `position` (oldest_kept()..sent()) queued again; false outside that.
    bool rewind_to(std::uint64_t position);

    std::uint64_t synthesized() const { return synthesized_; }  // reply samples so far
    std::uint64_t sent() const { return sent_; }                // of which handed to the pacer
    // What this call holds (shared samples are the cache's, not the call's).
    std::size_t held_bytes() const;
    void reset();

  private:
    struct Segment {
        std::shared_ptr<const void> owner;  // set: `shared` lives in it
        std::span<const std::int16_t> shared;
        std::vector<std::int16_t> owned;  // otherwise
        std::size_t read = 0;
        std::span<const std::int16_t> samples() const {
            return owner ? shared : std::span<const std::int16_t>(owned);
        }
        std::size_t left() const { return samples().size() - read; }
    };
    std::size_t room() const { return max_queued_ > queued_ ? max_queued_ - queued_ : 0; }
    // The first segment with samples still queued (those before it are the retained tail).
    std::size_t current() const;
    void release_if_empty();

    std::size_t max_queued_;
    std::vector<Segment> segments_;             // oldest first
    mutable std::vector<std::int16_t> joined_;  // peek() across a segment boundary
    std::size_t queued_ = 0;
    std::size_t retain_ = 0;
    std::size_t kept_ = 0;  // sent samples still held (the retained tail)
    std::uint64_t synthesized_ = 0;
    std::uint64_t sent_ = 0;
};

}  // namespace ringoverbot::agent
