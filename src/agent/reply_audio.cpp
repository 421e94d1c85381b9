#include "agent/reply_audio.hpp"

#include <algorithm>

namespace ringoverbot::agent {

std::size_t ReplyAudio::append(std::span<const std::int16_t> samples) {
    const std::size_t before = buf_.size();
    const std::size_t room = max_queued_ > queued_samples() ? max_queued_ - queued_samples() : 0;
    const std::size_t n = std::min(room, samples.size());
    buf_.insert(buf_.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(n));
    return commit(before);
}

std::size_t ReplyAudio::commit(std::size_t size_before) {
    const std::size_t queued_before = size_before - read_;
    const std::size_t room = max_queued_ > queued_before ? max_queued_ - queued_before : 0;
    if (buf_.size() - size_before > room) buf_.resize(size_before + room);
    const std::size_t added = buf_.size() - size_before;
    synthesized_ += added;
    return added;
}

void ReplyAudio::consume(std::size_t n) {
    n = std::min(n, queued_samples());
    read_ += n;
    sent_ += n;
    // Compact what is older than the retained tail once it is at least half the buffer:
    // amortised O(1) per sample, and a move within the existing capacity.
    const std::size_t drop = read_ > retain_ ? read_ - retain_ : 0;
    if (drop == 0) return;
    if (drop == buf_.size()) {
        // All of it played and nothing kept: give the memory back (a silent call holds none).
        std::vector<std::int16_t>().swap(buf_);
        read_ = 0;
    } else if (drop * 2 >= buf_.size()) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(drop));
        read_ -= drop;
    }
}

bool ReplyAudio::rewind_to(std::uint64_t position) {
    if (position > sent_ || position < oldest_kept()) return false;
    read_ -= static_cast<std::size_t>(sent_ - position);
    sent_ = position;
    return true;
}

void ReplyAudio::reset() {
    std::vector<std::int16_t>().swap(buf_);
    read_ = 0;
    synthesized_ = 0;
    sent_ = 0;
}

}  // namespace ringoverbot::agent
