#include "scores.hpp"

#include <cmath>

namespace recognition {

namespace providers = ringoverbot::providers;

namespace {

bool trusted(double confidence, double min_confidence) {
    return confidence == providers::kUnknownConfidence || confidence >= min_confidence;
}

struct Mean {
    double sum = 0;
    std::size_t known = 0, unknown = 0;
    void add(double c) {
        if (c == providers::kUnknownConfidence) {
            ++unknown;
        } else {
            sum += c;
            ++known;
        }
    }
    std::string str() const {
        char buf[32];
        if (known)
            std::snprintf(buf, sizeof buf, "%.2f", sum / double(known));
        else
            std::snprintf(buf, sizeof buf, unknown ? "unk" : "-");
        return buf;
    }
};

std::string intent_name(const EvalDialog& d, int intent) {
    return intent < 0 ? std::string("(none)") : d.labels[std::size_t(intent)];
}

}  // namespace

int gated_intent(const EvalDialog& dialog, const Heard& heard, double min_confidence) {
    if (!heard.error.empty() || !trusted(heard.confidence, min_confidence)) return -1;
    const auto* intent = dialog.dialog.match(heard.text);
    return intent ? int(intent - dialog.dialog.intents.data()) : -1;
}

Rates rates_of(const std::vector<Outcome>& outcomes, const std::vector<EvalDialog>& dialogs,
               std::size_t condition, double min_confidence) {
    Rates r;
    for (const auto& o : outcomes) {
        if (o.condition != condition) continue;
        if (!o.heard.error.empty()) ++r.errors;
        const int got = gated_intent(dialogs[o.utterance.dialog], o.heard, min_confidence);
        if (o.utterance.expected >= 0) {
            ++r.in_dialog;
            r.correct += got == o.utterance.expected;
        } else {
            ++r.out_of_dialog;
            r.false_accepts += got >= 0;
        }
    }
    return r;
}

void print_report(std::FILE* out, const std::vector<Outcome>& outcomes,
                  const std::vector<EvalDialog>& dialogs, const std::vector<Recording>& recordings,
                  const std::vector<std::string>& condition_names, double min_confidence,
                  std::size_t max_confusions) {
    std::fprintf(out, "\nper condition (min_confidence %.2f; unknown confidence is trusted)\n",
                 min_confidence);
    std::fprintf(out, "%-17s %9s %9s %9s %12s %8s %8s %8s %6s\n", "condition", "in-dialog",
                 "accuracy", "out", "false-acc", "conf-ok", "conf-bad", "conf-out", "errors");
    for (std::size_t c = 0; c < condition_names.size(); ++c) {
        const Rates r = rates_of(outcomes, dialogs, c, min_confidence);
        if (r.in_dialog + r.out_of_dialog == 0) continue;
        Mean ok, bad, ood;
        for (const auto& o : outcomes) {
            if (o.condition != c || !o.heard.error.empty()) continue;
            const int got = gated_intent(dialogs[o.utterance.dialog], o.heard, min_confidence);
            if (o.utterance.expected < 0)
                ood.add(o.heard.confidence);
            else if (got == o.utterance.expected)
                ok.add(o.heard.confidence);
            else
                bad.add(o.heard.confidence);
        }
        std::fprintf(out, "%-17s %9zu %9.3f %9zu %5zu %6.3f %8s %8s %8s %6zu\n",
                     condition_names[c].c_str(), r.in_dialog, r.accuracy(), r.out_of_dialog,
                     r.false_accepts, r.false_accept_rate(), ok.str().c_str(), bad.str().c_str(),
                     ood.str().c_str(), r.errors);
    }

    std::fprintf(out, "\nthreshold sweep: accuracy / false-accept rate per min_confidence\n");
    std::fprintf(out, "%-17s", "condition");
    for (int t = 1; t <= 9; ++t) std::fprintf(out, "      %.1f    ", t / 10.0);
    std::fprintf(out, "\n");
    for (std::size_t c = 0; c < condition_names.size(); ++c) {
        if (rates_of(outcomes, dialogs, c, 0).in_dialog == 0 &&
            rates_of(outcomes, dialogs, c, 0).out_of_dialog == 0)
            continue;
        std::fprintf(out, "%-17s", condition_names[c].c_str());
        for (int t = 1; t <= 9; ++t) {
            const Rates r = rates_of(outcomes, dialogs, c, t / 10.0);
            std::fprintf(out, " %5.3f/%5.3f", r.accuracy(), r.false_accept_rate());
        }
        std::fprintf(out, "\n");
    }

    std::fprintf(out, "\nconfusions (dialog: recording: expected -> got | heard | confidence)\n");
    for (std::size_t c = 0; c < condition_names.size(); ++c) {
        std::size_t shown = 0, total = 0;
        for (const auto& o : outcomes) {
            if (o.condition != c) continue;
            const EvalDialog& d = dialogs[o.utterance.dialog];
            const int got = gated_intent(d, o.heard, min_confidence);
            if (got == o.utterance.expected) continue;
            if (++total == 1) std::fprintf(out, "[%s]\n", condition_names[c].c_str());
            if (max_confusions && shown >= max_confusions) continue;
            ++shown;
            std::fprintf(out, "  %s: %s: %s -> %s | %s | %.2f%s%s\n", d.name.c_str(),
                         recordings[o.utterance.recording].id.c_str(),
                         intent_name(d, o.utterance.expected).c_str(), intent_name(d, got).c_str(),
                         o.heard.text.c_str(), o.heard.confidence,
                         o.heard.error.empty() ? "" : " error: ", o.heard.error.c_str());
        }
        if (total > shown) std::fprintf(out, "  ... %zu more\n", total - shown);
    }
}

bool dump_outcomes(const std::string& path, const std::vector<Outcome>& outcomes,
                   const std::vector<EvalDialog>& dialogs, const std::vector<Recording>& recordings,
                   const std::vector<std::string>& condition_names) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    for (const auto& o : outcomes) {
        const EvalDialog& d = dialogs[o.utterance.dialog];
        const int got = gated_intent(d, o.heard, 0.0);
        const double conf = o.heard.confidence >= 0 ? o.heard.confidence : -1.0;
        std::fprintf(
            f, "%s\t%s\t%s\t%s\t%s\t%.6f\t%s\n", condition_names[o.condition].c_str(),
            d.name.c_str(), recordings[o.utterance.recording].id.c_str(),
            o.utterance.expected >= 0 ? d.labels[std::size_t(o.utterance.expected)].c_str() : "-",
            got >= 0 ? d.labels[std::size_t(got)].c_str() : "-", conf, o.heard.text.c_str());
    }
    return std::fclose(f) == 0;
}

}  // namespace recognition
