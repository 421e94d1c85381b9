// The recognition evaluation's corpus: the recordings (recordings.txt, real human voices from
// Debian packages) and the dialogs (*.json, the scripted dialog's format), and which recording
// is in-dialog for which intent (its reference transcript holds exactly one intent's phrase).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/error.hpp"

namespace recognition {

struct Recording {
    std::string id;                     // "asterisk:goodbye.wav"
    std::string reference;              // the transcript; empty for non-speech (tones, silence)
    bool ci = false;                    // in the fixed CI subset
    std::vector<std::int16_t> samples;  // mono
    std::uint32_t rate_hz = 0;
};

struct EvalDialog {
    std::string name;  // the file's stem
    ringoverbot::providers::local::Dialog dialog;
    std::vector<std::string> phrases;  // the recogniser's grammar, as a host passes it
    std::vector<std::string> labels;   // each intent's first `when` phrase
};

// One recording heard by one dialog.
struct Utterance {
    std::size_t dialog = 0;
    std::size_t recording = 0;
    int expected = -1;  // the intent's index, or -1 when out-of-dialog
};

// Reads recordings.txt (package roots: the Debian install folders) and every recording in it.
ringoverbot::Result<std::vector<Recording>> load_recordings(const std::string& list_path);
ringoverbot::Result<EvalDialog> load_dialog(const std::string& json_path);

// The intents whose phrases occur in `text` (Dialog::match's rule, every intent tried).
std::vector<int> intents_in(const ringoverbot::providers::local::Dialog& dialog,
                            const std::string& text);

// Every (dialog, recording) pair, in-dialog or out-of-dialog; ambiguous ones are counted and
// left out.
std::vector<Utterance> utterances_of(const std::vector<EvalDialog>& dialogs,
                                     const std::vector<Recording>& recordings, bool ci_only,
                                     std::size_t& ambiguous);

}  // namespace recognition
