#include "agent/stereo_timeline.hpp"

#include <algorithm>

namespace ringoverbot::agent {

StereoTimeline::StereoTimeline(std::uint32_t rate_hz, std::int64_t start_us, std::uint32_t span_ms,
                               std::uint32_t hold_ms)
    : rate_(rate_hz == 0 ? 8000 : rate_hz),
      start_us_(start_us),
      hold_frames_(std::uint64_t{rate_} * hold_ms / 1000),
      frames_(std::max<std::size_t>(
          std::size_t{rate_} * std::max<std::uint32_t>(span_ms, 100) / 1000, 1)),
      ring_(2 * frames_, 0) {}

std::uint64_t StereoTimeline::position(std::int64_t t_us) const noexcept {
    if (t_us <= start_us_) return 0;
    // No overflow for calls shorter than a year at 48 kHz (3.2e13 us * 48000 < 2^63).
    return static_cast<std::uint64_t>(t_us - start_us_) * rate_ / 1000000;
}

void StereoTimeline::flush_to(std::uint64_t pos, std::vector<std::int16_t>* out) {
    for (; flushed_ < pos; ++flushed_) {
        std::int16_t& l = left(flushed_);
        std::int16_t& r = right(flushed_);
        if (out != nullptr) {
            out->push_back(l);
            out->push_back(r);
        }
        l = 0;
        r = 0;
    }
}

void StereoTimeline::reserve_to(std::uint64_t end) {
    if (end > flushed_ + frames_) flush_to(end - frames_, &spill_);
}

void StereoTimeline::caller(std::span<const std::int16_t> pcm, std::int64_t now_us) {
    const std::uint64_t now = position(now_us);
    const std::uint64_t expected = now > pcm.size() ? now - pcm.size() : 0;
    // The first frame, or one after a gap the hold no longer covers: placed by the clock.
    if (!caller_started_ || caller_pos_ + hold_frames_ / 2 < expected) caller_pos_ = expected;
    caller_started_ = true;
    std::size_t skip = 0;
    if (caller_pos_ < flushed_) {  // its place was already handed back
        skip =
            static_cast<std::size_t>(std::min<std::uint64_t>(flushed_ - caller_pos_, pcm.size()));
        dropped_ += skip;
    }
    const std::uint64_t begin = caller_pos_ + skip;
    const std::uint64_t end = caller_pos_ + pcm.size();
    reserve_to(end);
    for (std::uint64_t p = begin; p < end; ++p) left(p) = pcm[p - caller_pos_];
    caller_pos_ = end;
}

void StereoTimeline::bot(std::span<const std::int16_t> pcm, std::int64_t start_us) {
    const std::uint64_t at = position(start_us);
    std::size_t skip = 0;
    if (at < flushed_) {
        skip = static_cast<std::size_t>(std::min<std::uint64_t>(flushed_ - at, pcm.size()));
        dropped_ += skip;
    }
    const std::uint64_t begin = at + skip;
    const std::uint64_t end = at + pcm.size();
    // The pacer keeps the bot at most its lead ahead; anything past the ring is dropped rather
    // than forcing the caller's side out early.
    const std::uint64_t limit = std::max<std::uint64_t>(flushed_, caller_pos_) + frames_ -
                                std::min<std::uint64_t>(frames_, hold_frames_);
    const std::uint64_t stop = std::max(begin, std::min(end, limit));
    dropped_ += end - stop;
    if (stop == begin) return;
    reserve_to(stop);
    for (std::uint64_t p = begin; p < stop; ++p) right(p) = pcm[p - at];
    bot_end_ = std::max(bot_end_, stop);
}

void StereoTimeline::cut(std::int64_t now_us) {
    const std::uint64_t from = std::max(position(now_us), flushed_);
    for (std::uint64_t p = from; p < bot_end_; ++p) right(p) = 0;
    bot_end_ = std::min(bot_end_, from);
}

void StereoTimeline::take_ready(std::int64_t now_us, std::vector<std::int16_t>& out) {
    if (!spill_.empty()) {
        out.insert(out.end(), spill_.begin(), spill_.end());
        spill_.clear();
    }
    const std::uint64_t now = position(now_us);
    if (now > hold_frames_) flush_to(now - hold_frames_, &out);
}

void StereoTimeline::take_rest(std::int64_t end_us, std::vector<std::int16_t>& out) {
    if (!spill_.empty()) {
        out.insert(out.end(), spill_.begin(), spill_.end());
        spill_.clear();
    }
    const std::uint64_t end = std::max(position(end_us), caller_pos_);
    // Bot audio past the end never played; the ring only holds frames_ ahead of flushed_.
    if (bot_end_ > end) {
        for (std::uint64_t p = std::max(end, flushed_); p < bot_end_; ++p) right(p) = 0;
        bot_end_ = end;
    }
    while (flushed_ < end) {
        const std::uint64_t step = std::min<std::uint64_t>(end, flushed_ + frames_);
        flush_to(step, &out);
    }
}

}  // namespace ringoverbot::agent
