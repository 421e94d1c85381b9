#include "providers/turn_audio.hpp"

#include <algorithm>

namespace ringoverbot::providers {

TurnAudio::TurnAudio(std::uint32_t sample_rate_hz, std::uint32_t max_turn_ms,
                     std::uint32_t preroll_ms)
    : rate_(sample_rate_hz),
      ring_(std::max<std::size_t>(1, std::size_t{sample_rate_hz} * max_turn_ms / 1000)),
      preroll_(std::uint64_t{sample_rate_hz} * preroll_ms / 1000) {}

void TurnAudio::push(std::span<const std::int16_t> samples) {
    // Only the newest ring-full matters when more arrives at once.
    if (samples.size() > ring_.size()) {
        total_ += samples.size() - ring_.size();
        samples = samples.last(ring_.size());
    }
    const std::size_t at = static_cast<std::size_t>(total_ % ring_.size());
    const std::size_t first = std::min(samples.size(), ring_.size() - at);
    std::copy_n(samples.begin(), first, ring_.begin() + static_cast<std::ptrdiff_t>(at));
    std::copy(samples.begin() + static_cast<std::ptrdiff_t>(first), samples.end(), ring_.begin());
    total_ += samples.size();
}

void TurnAudio::speech_started(std::uint32_t onset_ms_ago) {
    if (hinted_) return;
    hinted_ = true;
    const std::uint64_t back = preroll_ + std::uint64_t{rate_} * onset_ms_ago / 1000;
    turn_start_ = std::max(turn_start_, total_ > back ? total_ - back : 0);
}

std::size_t TurnAudio::untaken() const noexcept {
    const std::uint64_t oldest = total_ > ring_.size() ? total_ - ring_.size() : 0;
    return static_cast<std::size_t>(total_ - std::max(turn_start_, oldest));
}

void TurnAudio::take(std::vector<std::int16_t>& out) {
    const std::uint64_t begin = total_ - untaken();
    for (std::uint64_t i = begin; i < total_; ++i)
        out.push_back(ring_[static_cast<std::size_t>(i % ring_.size())]);
    turn_start_ = total_;
}

std::vector<std::int16_t> TurnAudio::cut() {
    const std::uint64_t oldest = total_ > ring_.size() ? total_ - ring_.size() : 0;
    const std::uint64_t begin = std::max(turn_start_, oldest);
    std::vector<std::int16_t> turn(static_cast<std::size_t>(total_ - begin));
    for (std::size_t i = 0; i < turn.size(); ++i)
        turn[i] = ring_[static_cast<std::size_t>((begin + i) % ring_.size())];
    turn_start_ = total_;
    hinted_ = false;
    return turn;
}

}  // namespace ringoverbot::providers
