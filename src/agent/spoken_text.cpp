#include "agent/spoken_text.hpp"

#include <algorithm>
#include <cstddef>

namespace ringoverbot::agent {

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

std::uint64_t SpokenText::word_start(std::uint64_t heard_samples) const {
    for (const auto& seg : segments_) {
        if (heard_samples >= seg.start + seg.samples) continue;
        if (heard_samples <= seg.start || seg.samples == 0 || seg.text.empty())
            return std::min(heard_samples, seg.start);
        const double fraction =
            static_cast<double>(heard_samples - seg.start) / static_cast<double>(seg.samples);
        auto at = static_cast<std::size_t>(fraction * static_cast<double>(seg.text.size()));
        at = std::min(at, seg.text.size() - 1);
        if (seg.text[at] == ' ') {  // between words: the next one
            while (at < seg.text.size() && seg.text[at] == ' ') ++at;
        } else {
            while (at > 0 && seg.text[at - 1] != ' ') --at;
        }
        const auto offset = static_cast<std::uint64_t>(static_cast<double>(at) /
                                                       static_cast<double>(seg.text.size()) *
                                                       static_cast<double>(seg.samples));
        return seg.start + offset;
    }
    return heard_samples;
}

std::string SpokenText::full() const {
    return heard(total_);
}

void SpokenText::clear() {
    segments_.clear();
    total_ = 0;
}

}  // namespace ringoverbot::agent
