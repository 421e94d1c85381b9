#include "common/text.hpp"

namespace ringoverbot::text {

std::string_view trim(std::string_view s, std::string_view blanks) noexcept {
    const auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return s.substr(s.size());
    return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

std::string_view trim_right(std::string_view s, std::string_view blanks) noexcept {
    const auto last = s.find_last_not_of(blanks);
    return s.substr(0, last == std::string_view::npos ? 0 : last + 1);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::vector<std::string> normalize_words(std::string_view text) {
    std::vector<std::string> words;
    std::string cur;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || c >= 0x80) {
            cur.push_back(to_lower(ch));
        } else if (c == '\'') {
            continue;  // "what's" -> "whats"
        } else if (!cur.empty()) {
            words.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) words.push_back(std::move(cur));
    return words;
}

bool contains_words(std::span<const std::string> words,
                    std::span<const std::string> phrase) noexcept {
    if (phrase.empty() || phrase.size() > words.size()) return false;
    for (std::size_t i = 0; i + phrase.size() <= words.size(); ++i) {
        bool all = true;
        for (std::size_t k = 0; k < phrase.size() && all; ++k) all = words[i + k] == phrase[k];
        if (all) return true;
    }
    return false;
}

}  // namespace ringoverbot::text
