#include "agent/confirmation_words.hpp"

#include <array>

#include "common/text.hpp"

namespace ringoverbot::agent {
namespace {

constexpr std::array<std::string_view, 12> kYes = {"yes",  "yeah",      "yep",      "yup",
                                                   "sure", "correct",   "right",    "ok",
                                                   "okay", "please do", "go ahead", "do it"};
constexpr std::array<std::string_view, 8> kTakeBack = {"no",     "not",  "nope", "dont",
                                                       "cancel", "wait", "stop", "never"};

bool contains_any(const std::vector<std::string>& words, auto const& phrases) {
    for (const auto p : phrases)
        if (text::contains_words(words, text::normalize_words(p))) return true;
    return false;
}

}  // namespace

const std::vector<std::string>& confirmation_phrases() {
    static const std::vector<std::string> phrases = {"yes",     "yeah",      "yep",      "sure",
                                                     "correct", "please do", "go ahead", "no"};
    return phrases;
}

bool is_yes(std::string_view answer) {
    const auto words = text::normalize_words(answer);
    return contains_any(words, kYes) && !contains_any(words, kTakeBack);
}

}  // namespace ringoverbot::agent
