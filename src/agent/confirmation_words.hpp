// What counts as "yes" to the engine's confirmation question ("Do you want me to end the
// call?"), and the words the STT must be able to hear for it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::agent {

// The answers added to the STT's phrases (a recogniser with a grammar hears nothing else): the
// usual yeses, and "no" so that a refusal is heard as one rather than forced onto a phrase.
const std::vector<std::string>& confirmation_phrases();

// True when the caller's answer says yes: one of the yes words or phrases (yes, yeah, yep, yup,
// sure, correct, right, ok, okay, please do, go ahead, do it) as whole words, and no word that
// takes it back (no, not, nope, dont, cancel, wait, stop, never). Normalized like the dialog's
// matching (src/common/text.hpp). Anything else, silence included, is not a yes.
bool is_yes(std::string_view answer);

}  // namespace ringoverbot::agent
