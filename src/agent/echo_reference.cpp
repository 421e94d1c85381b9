#include "agent/echo_reference.hpp"

#include <algorithm>

#include "agent/voice_activity.hpp"

namespace ringoverbot::agent {

EchoReference::EchoReference(std::uint32_t rate_hz, std::uint32_t max_queued_ms,
                             std::uint32_t window_ms)
    : rate_(rate_hz == 0 ? 8000 : rate_hz),
      window_us_(std::int64_t{window_ms} * 1000),
      // Blocks queued ahead, blocks inside the window, and slack for partial blocks.
      ring_((max_queued_ms + window_ms) / kBlockMs + 8) {}

void EchoReference::push(const Block& b) {
    if (count_ == ring_.size()) {  // cannot happen within the pacer's bound; keep the newest
        head_ = (head_ + 1) % ring_.size();
        --count_;
    }
    ring_[(head_ + count_) % ring_.size()] = b;
    ++count_;
}

void EchoReference::on_sent(std::int64_t start_us, std::span<const std::int16_t> samples) {
    const std::size_t block = std::max<std::size_t>(1, std::size_t{rate_} * kBlockMs / 1000);
    auto time_of = [&](std::size_t sample) {
        return start_us + static_cast<std::int64_t>(sample * 1000000 / rate_);
    };
    for (std::size_t off = 0; off < samples.size(); off += block) {
        const std::size_t n = std::min(block, samples.size() - off);
        push({time_of(off), time_of(off + n), EnergyVad::level_dbfs(samples.subspan(off, n))});
    }
}

void EchoReference::on_break(std::int64_t now_us) {
    while (count_ > 0 && at(count_ - 1).start_us >= now_us) --count_;
    if (count_ > 0 && at(count_ - 1).end_us > now_us) at(count_ - 1).end_us = now_us;
}

double EchoReference::level_at(std::int64_t now_us) {
    // Blocks whose echo has died out are gone for good.
    while (count_ > 0 && at(0).end_us + window_us_ <= now_us) {
        head_ = (head_ + 1) % ring_.size();
        --count_;
    }
    double level = kSilenceDbfs;
    for (std::size_t i = 0; i < count_; ++i) {
        const Block& b = at(i);
        if (b.start_us >= now_us) break;  // not playing yet
        level = std::max(level, b.dbfs);
    }
    return level;
}

}  // namespace ringoverbot::agent
