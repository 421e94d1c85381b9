// Scoring the evaluation: the engine's confidence gate on each final (below min_confidence ->
// no intent; an unknown confidence is trusted, as the engine does), then per condition the
// intent accuracy on in-dialog utterances, the false-accept rate on out-of-dialog ones (any
// intent accepted), the mean confidences, the confusions and a threshold sweep.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "decode_turn.hpp"

namespace recognition {

struct Outcome {
    Utterance utterance;
    std::size_t condition = 0;
    Heard heard;
};

struct Rates {
    std::size_t in_dialog = 0, correct = 0, out_of_dialog = 0, false_accepts = 0, errors = 0;
    double accuracy() const { return in_dialog ? double(correct) / double(in_dialog) : 1.0; }
    double false_accept_rate() const {
        return out_of_dialog ? double(false_accepts) / double(out_of_dialog) : 0.0;
    }
};

// The intent the engine would act on, or -1 (the fallback).
int gated_intent(const EvalDialog& dialog, const Heard& heard, double min_confidence);

Rates rates_of(const std::vector<Outcome>& outcomes, const std::vector<EvalDialog>& dialogs,
               std::size_t condition, double min_confidence);

// The per-condition table, then the threshold sweep, then the confusions (at most
// `max_confusions` per condition; 0 = all).
void print_report(std::FILE* out, const std::vector<Outcome>& outcomes,
                  const std::vector<EvalDialog>& dialogs, const std::vector<Recording>& recordings,
                  const std::vector<std::string>& condition_names, double min_confidence,
                  std::size_t max_confusions);

// Every turn as a tab-separated line: condition, dialog, recording id, the expected intent's
// label (or "-"), the intent the gate-free match gives (or "-"), the confidence (%.6f, -1 when
// unknown), the heard text. False when the file cannot be written.
bool dump_outcomes(const std::string& path, const std::vector<Outcome>& outcomes,
                   const std::vector<EvalDialog>& dialogs, const std::vector<Recording>& recordings,
                   const std::vector<std::string>& condition_names);

}  // namespace recognition
