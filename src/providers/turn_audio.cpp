#include "providers/turn_audio.hpp"

#include <algorithm>

namespace ringoverbot::providers {

TurnAudio::TurnAudio(std::uint32_t sample_rate_hz, std::uint32_t max_turn_ms,
                     std::uint32_t preroll_ms, bool speech_start_hints)
    : rate_(sample_rate_hz),
      hints_(speech_start_hints),
      max_turn_(std::max<std::size_t>(1, std::size_t{sample_rate_hz} * max_turn_ms / 1000)),
      preroll_(std::size_t{sample_rate_hz} * preroll_ms / 1000) {
    if (hints_)
        ring_.resize(std::max<std::size_t>(
            1, preroll_ + std::size_t{sample_rate_hz} * kOnsetReachMs / 1000));
}

void TurnAudio::push(std::span<const std::int16_t> samples) {
    if (collecting()) {
        turn_.insert(turn_.end(), samples.begin(), samples.end());
        // A turn past its cap keeps its newest audio; trimmed a second at a time, not a move
        // of the whole turn every frame.
        if (turn_.size() > max_turn_ + rate_)
            turn_.erase(turn_.begin(),
                        turn_.begin() + static_cast<std::ptrdiff_t>(turn_.size() - max_turn_));
        return;
    }
    if (samples.size() > ring_.size()) samples = samples.last(ring_.size());
    const std::size_t at = static_cast<std::size_t>(ring_total_ % ring_.size());
    const std::size_t first = std::min(samples.size(), ring_.size() - at);
    std::copy_n(samples.begin(), first, ring_.begin() + static_cast<std::ptrdiff_t>(at));
    std::copy(samples.begin() + static_cast<std::ptrdiff_t>(first), samples.end(), ring_.begin());
    ring_total_ += samples.size();
    since_cut_ = std::min(ring_.size(), since_cut_ + samples.size());
}

std::vector<std::int16_t> TurnAudio::ring_tail(std::size_t n) const {
    std::vector<std::int16_t> out(n);
    const std::uint64_t begin = ring_total_ - n;
    for (std::size_t i = 0; i < n; ++i)
        out[i] = ring_[static_cast<std::size_t>((begin + i) % ring_.size())];
    return out;
}

void TurnAudio::speech_started(std::uint32_t onset_ms_ago) {
    if (started_) return;
    started_ = true;
    const std::size_t back = preroll_ + std::size_t{rate_} * onset_ms_ago / 1000;
    if (hints_) {
        // The turn's buffer opens here with the preroll and the speech so far.
        turn_ = ring_tail(std::min(back, since_cut_));
        turn_.reserve(std::max<std::size_t>(turn_.size() * 2, rate_));
        return;
    }
    // Unhinted: the turn since the last cut is all here; it starts the preroll before the onset.
    if (turn_.size() > back) {
        turn_.erase(turn_.begin(), turn_.end() - static_cast<std::ptrdiff_t>(back));
    }
}

std::size_t TurnAudio::untaken() const noexcept {
    return collecting() ? turn_.size() : since_cut_;
}

void TurnAudio::take(std::vector<std::int16_t>& out) {
    if (collecting()) {
        out.insert(out.end(), turn_.begin(), turn_.end());
        turn_.clear();  // the capacity stays for the rest of the turn
        return;
    }
    const auto tail = ring_tail(since_cut_);
    out.insert(out.end(), tail.begin(), tail.end());
    since_cut_ = 0;
}

std::vector<std::int16_t> TurnAudio::cut() {
    std::vector<std::int16_t> turn = collecting() ? std::move(turn_) : ring_tail(since_cut_);
    if (turn.size() > max_turn_)
        turn.erase(turn.begin(), turn.begin() + static_cast<std::ptrdiff_t>(turn.size() - max_turn_));
    turn_ = {};
    since_cut_ = 0;
    started_ = false;
    return turn;
}

std::size_t TurnAudio::held_bytes() const noexcept {
    return (ring_.capacity() + turn_.capacity()) * sizeof(std::int16_t);
}

}  // namespace ringoverbot::providers
