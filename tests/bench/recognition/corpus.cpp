#include "corpus.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

namespace recognition {

using ringoverbot::Errc;
using ringoverbot::Error;
using ringoverbot::Result;
namespace local = ringoverbot::providers::local;

namespace {

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{Errc::io, "cannot read " + path};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string package_root(const std::string& package) {
    if (package == "asterisk") return "/usr/share/asterisk/sounds/en/";
    if (package == "pocketsphinx") return "/usr/share/pocketsphinx/test/data/";
    return {};
}

}  // namespace

Result<std::vector<Recording>> load_recordings(const std::string& list_path) {
    std::ifstream in(list_path);
    if (!in) return Error{Errc::io, "cannot read " + list_path};
    std::vector<Recording> out;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string package, file, tag, reference;
        fields >> package >> file >> tag;
        std::getline(fields >> std::ws, reference);
        const std::string root = package_root(package);
        if (root.empty() || file.empty() || (tag != "ci" && tag != "-") || reference.empty())
            return Error{Errc::invalid_argument, list_path + ":" + std::to_string(number) +
                                                     ": expected <package> <file> <ci|-> <text|->"};
        auto wav = ringoverbot::audio::read_wav_file(root + file);
        if (!wav)
            return Error{wav.code(), root + file + ": " + wav.error().message +
                                         " (install asterisk-core-sounds-en-wav and "
                                         "pocketsphinx-testdata)"};
        Recording r;
        r.id = package + ":" + file;
        r.reference = reference == "-" ? std::string() : reference;
        r.ci = tag == "ci";
        r.rate_hz = wav->sample_rate_hz;
        if (wav->channels == 1) {
            r.samples = std::move(wav->samples);
        } else {
            r.samples.resize(wav->frames());
            ringoverbot::audio::extract_channel(wav->samples, wav->channels, 0, r.samples);
        }
        out.push_back(std::move(r));
    }
    return out;
}

Result<EvalDialog> load_dialog(const std::string& json_path) {
    auto text = read_text(json_path);
    if (!text) return text.error();
    auto dialog = local::parse_dialog(*text);
    if (!dialog) return Error{dialog.code(), json_path + ": " + dialog.error().message};
    auto summary = ringoverbot::providers::describe_dialog(*text);
    if (!summary) return Error{summary.code(), json_path + ": " + summary.error().message};
    EvalDialog d;
    d.name = std::filesystem::path(json_path).stem().string();
    d.phrases = summary->phrases;
    for (const auto& intent : dialog->intents) {
        std::string label;
        for (const auto& word : intent.when.front()) label += (label.empty() ? "" : " ") + word;
        d.labels.push_back(std::move(label));
    }
    d.dialog = std::move(*dialog);
    return d;
}

std::vector<int> intents_in(const local::Dialog& dialog, const std::string& text) {
    std::vector<int> found;
    for (std::size_t i = 0; i < dialog.intents.size(); ++i) {
        local::Dialog one;
        one.intents.push_back(dialog.intents[i]);
        if (one.match(text)) found.push_back(static_cast<int>(i));
    }
    return found;
}

std::vector<Utterance> utterances_of(const std::vector<EvalDialog>& dialogs,
                                     const std::vector<Recording>& recordings, bool ci_only,
                                     std::size_t& ambiguous) {
    std::vector<Utterance> out;
    ambiguous = 0;
    for (std::size_t d = 0; d < dialogs.size(); ++d) {
        for (std::size_t r = 0; r < recordings.size(); ++r) {
            if (ci_only && !recordings[r].ci) continue;
            const auto found = intents_in(dialogs[d].dialog, recordings[r].reference);
            if (found.size() > 1) {
                ++ambiguous;
                continue;
            }
            out.push_back({d, r, found.empty() ? -1 : found.front()});
        }
    }
    return out;
}

}  // namespace recognition
