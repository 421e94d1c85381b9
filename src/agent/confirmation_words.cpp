#include "agent/confirmation_words.hpp"

#include <algorithm>
#include <array>

#include "common/text.hpp"
#include "ringoverbot/agent.hpp"

namespace ringoverbot::agent {

std::vector<std::string> stt_phrases(const CallConfig& config) {
    std::vector<std::string> phrases = config.expected_phrases;
    // Only a recogniser already told what to expect learns the answers to a confirmation (an
    // empty list means "anything", and a list of yeses alone would make it a yes/no grammar).
    if (!phrases.empty())
        for (const auto& word : confirmation_phrases())
            if (std::find(phrases.begin(), phrases.end(), word) == phrases.end())
                phrases.push_back(word);
    return phrases;
}
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
