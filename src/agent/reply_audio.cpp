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
    const std::size_t at = current();
    const Segment& first = segments_[at];
    if (first.left() >= n) return first.samples().subspan(first.read, n);
    joined_.clear();
    for (std::size_t i = at; i < segments_.size(); ++i) {
        const Segment& s = segments_[i];
        const std::size_t take = std::min(s.left(), n - joined_.size());
        const auto part = s.samples().subspan(s.read, take);
        joined_.insert(joined_.end(), part.begin(), part.end());
        if (joined_.size() == n) break;
    }
    return joined_;
}

std::size_t ReplyAudio::current() const {
    std::size_t at = 0;
    while (at < segments_.size() && segments_[at].left() == 0) ++at;
    return at;
}

void ReplyAudio::consume(std::size_t n) {
    n = std::min(n, queued_);
    queued_ -= n;
    sent_ += n;
    kept_ += n;
    for (std::size_t at = current(); n > 0; ++at) {
        Segment& s = segments_[at];
        const std::size_t take = std::min(n, s.left());
        s.read += take;
        n -= take;
    }
    // Drop whole sent segments older than the retained tail.
    std::size_t drop = 0;
    while (drop < segments_.size() && segments_[drop].left() == 0 &&
           kept_ - segments_[drop].samples().size() >= retain_) {
        kept_ -= segments_[drop].samples().size();
        ++drop;
    }
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(drop));
    // Without a retained tail, compact an owned front segment once its consumed prefix is at
    // least half of it: amortised O(1) per sample, and a move within the existing capacity.
    if (retain_ == 0 && !segments_.empty() && !segments_.front().owner) {
        Segment& s = segments_.front();
        if (s.read * 2 >= s.owned.size() && s.read > 0) {
            kept_ -= s.read;
            s.owned.erase(s.owned.begin(), s.owned.begin() + static_cast<std::ptrdiff_t>(s.read));
            s.read = 0;
        }
    }
    release_if_empty();
}

bool ReplyAudio::rewind_to(std::uint64_t position) {
    if (position > sent_ || position < oldest_kept()) return false;
    const auto back = static_cast<std::size_t>(sent_ - position);
    std::size_t left = back;
    for (std::size_t i = segments_.size(); i-- > 0 && left > 0;) {
        const std::size_t take = std::min(left, segments_[i].read);
        segments_[i].read -= take;
        left -= take;
    }
    sent_ = position;
    queued_ += back;
    kept_ -= back;
    return true;
}

void ReplyAudio::release_if_empty() {
    if (queued_ != 0 || (retain_ != 0 && kept_ != 0)) return;
    // Nothing waits: give every buffer back (owned samples, the segment list, the join buffer).
    std::vector<Segment>().swap(segments_);
    std::vector<std::int16_t>().swap(joined_);
    kept_ = 0;
}

std::size_t ReplyAudio::held_bytes() const {
    std::size_t bytes =
        segments_.capacity() * sizeof(Segment) + joined_.capacity() * sizeof(std::int16_t);
    for (const Segment& s : segments_) bytes += s.owned.capacity() * sizeof(std::int16_t);
    return bytes;
}

void ReplyAudio::reset() {
    queued_ = 0;
    kept_ = 0;
    release_if_empty();
    synthesized_ = 0;
    sent_ = 0;
}

}  // namespace ringoverbot::agent
