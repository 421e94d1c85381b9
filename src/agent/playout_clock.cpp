#include "agent/playout_clock.hpp"

#include <algorithm>

namespace ringoverbot::agent {

void PlayoutClock::on_sent(std::uint64_t samples, std::int64_t now_us) {
    const std::int64_t start = std::max(playout_end_us_, now_us);
    playout_end_us_ = start + static_cast<std::int64_t>(samples * 1000000 / rate_);
    sent_ += samples;
}

void PlayoutClock::on_break(std::int64_t now_us) {
    sent_ = heard_samples(now_us);
    playout_end_us_ = std::min(playout_end_us_, now_us);
}

std::int64_t PlayoutClock::queued_us(std::int64_t now_us) const {
    return std::max<std::int64_t>(0, playout_end_us_ - now_us);
}

std::uint64_t PlayoutClock::heard_samples(std::int64_t now_us) const {
    const auto queued = static_cast<std::uint64_t>(queued_us(now_us)) * rate_ / 1000000;
    return sent_ > queued ? sent_ - queued : 0;
}

void SpokenText::add(std::string_view text, std::uint64_t samples) {
    segments_.push_back({std::string(text), total_, samples});
    total_ += samples;
}

std::string SpokenText::heard(std::uint64_t heard_samples) const {
    std::string out;
    auto append = [&out](std::string_view piece) {
        if (piece.empty()) return;
        if (!out.empty() && out.back() != ' ') out.push_back(' ');
        out.append(piece);
    };
    for (const auto& seg : segments_) {
        if (heard_samples >= seg.start + seg.samples) {
            append(seg.text);
            continue;
        }
        if (heard_samples <= seg.start || seg.samples == 0) break;
        // Partly played: keep the words whose end lies within the played fraction.
        const double fraction =
            static_cast<double>(heard_samples - seg.start) / static_cast<double>(seg.samples);
        const auto cut = static_cast<std::size_t>(fraction * static_cast<double>(seg.text.size()));
        std::size_t end = 0;
        for (std::size_t i = 0; i < seg.text.size(); ++i) {
            const bool word_end =
                seg.text[i] != ' ' && (i + 1 == seg.text.size() || seg.text[i + 1] == ' ');
            if (word_end && i < cut) end = i + 1;
        }
        append(std::string_view(seg.text).substr(0, end));
        break;
    }
    return out;
}

std::string SpokenText::full() const {
    return heard(total_);
}

void SpokenText::clear() {
    segments_.clear();
    total_ = 0;
}

bool Pacer::may_send(const PlayoutClock& clock, std::int64_t now_us) const {
    const std::int64_t chunk_us = std::int64_t{config_.chunk_ms} * 1000;
    return clock.queued_us(now_us) + chunk_us <= std::int64_t{config_.max_lead_ms} * 1000;
}

std::int64_t Pacer::next_send_us(const PlayoutClock& clock, std::int64_t now_us) const {
    if (may_send(clock, now_us)) return now_us;
    const std::int64_t chunk_us = std::int64_t{config_.chunk_ms} * 1000;
    return clock.playout_end_us() + chunk_us - std::int64_t{config_.max_lead_ms} * 1000;
}

}  // namespace ringoverbot::agent
