#include "agent/reply_audio.hpp"

#include <algorithm>

namespace ringoverbot::agent {

std::size_t ReplyAudio::append(std::span<const std::int16_t> samples) {
    std::vector<std::int16_t>& buf = buffer();
    const std::size_t before = buf.size();
    const std::size_t n = std::min(room(), samples.size());
    buf.insert(buf.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(n));
    return commit(before);
}

std::size_t ReplyAudio::append_shared(std::shared_ptr<const void> owner,
                                      std::span<const std::int16_t> samples) {
    const std::size_t n = std::min(room(), samples.size());
    if (n == 0 || !owner) return 0;
    samples = samples.first(n);
    // A cached phrase arrives as its provider's chunks, adjacent in one buffer: one segment.
    if (!segments_.empty() && segments_.back().owner == owner &&
        segments_.back().shared.data() + segments_.back().shared.size() == samples.data()) {
        auto& last = segments_.back().shared;
        last = std::span<const std::int16_t>(last.data(), last.size() + n);
    } else {
        segments_.push_back(Segment{std::move(owner), samples, {}, 0});
    }
    queued_ += n;
    synthesized_ += n;
    return n;
}

std::vector<std::int16_t>& ReplyAudio::buffer() {
    if (segments_.empty() || segments_.back().owner) segments_.push_back(Segment{});
    return segments_.back().owned;
}

std::size_t ReplyAudio::commit(std::size_t size_before) {
    std::vector<std::int16_t>& buf = segments_.back().owned;
    const std::size_t room_left = room();
    if (buf.size() - size_before > room_left) buf.resize(size_before + room_left);
    const std::size_t added = buf.size() - size_before;
    queued_ += added;
    synthesized_ += added;
    release_if_empty();
    return added;
}

std::span<const std::int16_t> ReplyAudio::peek(std::size_t n) const {
    n = std::min(n, queued_);
    if (n == 0) return {};
    const Segment& first = segments_.front();
    if (first.left() >= n) return first.samples().subspan(first.read, n);
    joined_.clear();
    for (const Segment& s : segments_) {
        const std::size_t take = std::min(s.left(), n - joined_.size());
        const auto part = s.samples().subspan(s.read, take);
        joined_.insert(joined_.end(), part.begin(), part.end());
        if (joined_.size() == n) break;
    }
    return joined_;
}

void ReplyAudio::consume(std::size_t n) {
    n = std::min(n, queued_);
    queued_ -= n;
    sent_ += n;
    std::size_t done = 0;
    while (n > 0) {
        Segment& s = segments_[done];
        const std::size_t take = std::min(n, s.left());
        s.read += take;
        n -= take;
        if (s.left() == 0) ++done;
    }
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(done));
    // Compact an owned front segment once its consumed prefix is at least half of it:
    // amortised O(1) per sample, and a move within the existing capacity.
    if (!segments_.empty() && !segments_.front().owner) {
        Segment& s = segments_.front();
        if (s.read * 2 >= s.owned.size() && s.read > 0) {
            s.owned.erase(s.owned.begin(), s.owned.begin() + static_cast<std::ptrdiff_t>(s.read));
            s.read = 0;
        }
    }
    release_if_empty();
}

void ReplyAudio::release_if_empty() {
    if (queued_ != 0) return;
    // Nothing waits: give every buffer back (owned samples, the segment list, the join buffer).
    std::vector<Segment>().swap(segments_);
    std::vector<std::int16_t>().swap(joined_);
}

std::size_t ReplyAudio::held_bytes() const {
    std::size_t bytes =
        segments_.capacity() * sizeof(Segment) + joined_.capacity() * sizeof(std::int16_t);
    for (const Segment& s : segments_) bytes += s.owned.capacity() * sizeof(std::int16_t);
    return bytes;
}

void ReplyAudio::reset() {
    queued_ = 0;
    release_if_empty();
    synthesized_ = 0;
    sent_ = 0;
}

}  // namespace ringoverbot::agent
