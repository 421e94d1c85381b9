// The scripted dialog: the local stand-in for a language model (src/providers/local/README.md). A
// JSON file of a greeting, a fallback and intents; the first intent whose `when` phrase occurs in
// the caller's words (lowercased, punctuation removed, as a whole-word sequence) gives the reply
// and its action.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "ringoverbot/error.hpp"

namespace ringoverbot::providers::local {

struct DialogIntent {
    std::vector<std::vector<std::string>> when;  // each phrase as normalized words
    std::string say;
    std::optional<std::string> transfer;
    std::optional<std::string> digits;
    bool end = false;
};

// What to do after too many misunderstandings in a row: say `say`, then transfer (a number) or
// end the call (transfer empty).
struct DialogMisunderstood {
    std::string say;
    std::string transfer;
};

struct Dialog {
    std::string greeting;
    std::string fallback;
    std::vector<DialogIntent> intents;
    // Optional: the confirmation prompts and the misunderstanding offer (empty / absent: the
    // call's own settings).
    std::string confirm_end;
    std::string confirm_transfer;
    std::optional<DialogMisunderstood> misunderstood;
    // Optional: said to an idle caller, and the goodbye after the last reprompt.
    std::string reprompt;
    std::string idle_goodbye;

    // The matching intent, or nullptr (then the fallback is said).
    const DialogIntent* match(std::string_view caller_words) const;
    // Every word the dialog listens for (for a recognizer's grammar).
    std::vector<std::vector<std::string>> phrases() const;
};

// The one normalization of callers' words and phrases (src/common/text.hpp), under the name the
// local providers have always used.
using text::normalize_words;

// Parses and validates a dialog. Errors name the JSON path of the problem, e.g.
// "$.intents[1].when: expected a non-empty array of strings".
Result<Dialog> parse_dialog(std::string_view json);

}  // namespace ringoverbot::providers::local
