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

}  // namespace ringoverbot::text
