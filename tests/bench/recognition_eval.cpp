// The real-voice evaluation of the local recogniser (pocketsphinx with the dialog's grammar).
// Human recordings (tests/bench/recognition/recordings.txt) are heard by three dialogs
// (tests/bench/recognition/*.json) under seven line conditions and fed through the real
// provider as the call engine feeds it; the engine's confidence gate is applied to each final.
// Prints per condition the intent accuracy (in-dialog), the false-accept rate (out-of-dialog),
// mean confidences, a min_confidence sweep and the confusions. tests/bench/recognition/README.md
// tells how to run it.
//
//   recognition_eval [--min-confidence 0.5] [--dialog NAME]... [--condition NAME]...
//                    [--subset all|ci] [--jobs 2] [--max-confusions 25]
//                    [--assert-accuracy X] [--assert-false-accepts Y] [--corpus DIR]
//                    [--echo-canceller] [--noise-suppression] [--dump FILE]
// --echo-canceller runs each turn through the engine's echo canceller (speexdsp MDF) with the
// bot's voice as its reference, as a call does: on the "over the bot" condition the canceller
// first hears the ~2 s the bot played before the caller started (a barge-in comes while the bot
// talks), on the others it has no reference and passes the line untouched. --noise-suppression
// runs speexdsp's denoiser on every frame (alone, or after the canceller). --dump writes every
// turn as a tab-separated line (condition, dialog, recording, expected intent, heard, confidence).
// Exit 1 when an asserted goal is missed in any condition or a decode failed, 2 on bad usage.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "agent/echo_canceller.hpp"
#include "recognition/bot_voice.hpp"
#include "recognition/corpus.hpp"
#include "recognition/decode_turn.hpp"
#include "recognition/line_audio.hpp"
#include "recognition/scores.hpp"
#include "ringoverbot/providers.hpp"

using namespace recognition;
namespace providers = ringoverbot::providers;

namespace {

struct Options {
    std::string corpus = ROB_RECOGNITION_DIR;
    double min_confidence = 0.5;
    std::vector<std::string> dialogs, conditions;
    bool ci = false;
    std::size_t jobs = 2, max_confusions = 25;
    double assert_accuracy = -1, assert_false_accepts = -1;
    bool echo_canceller = false, noise_suppression = false;
    std::string dump;  // a TSV of every turn, to study a confidence offline
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "recognition_eval: %s\nusage: recognition_eval [--min-confidence X] "
                 "[--dialog NAME]... [--condition NAME]... [--subset all|ci] [--jobs N] "
                 "[--max-confusions N] [--assert-accuracy X] [--assert-false-accepts Y] "
                 "[--corpus DIR] [--echo-canceller] [--noise-suppression] [--dump FILE]\n",
                 why);
    std::exit(2);
}

double number(const std::string& s) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end) usage(("not a number: " + s).c_str());
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage((arg + " needs a value").c_str());
            return argv[++i];
        };
        if (arg == "--corpus")
            o.corpus = value();
        else if (arg == "--min-confidence")
            o.min_confidence = number(value());
        else if (arg == "--dialog")
            o.dialogs.push_back(value());
        else if (arg == "--condition")
            o.conditions.push_back(value());
        else if (arg == "--subset") {
            const std::string s = value();
            if (s != "ci" && s != "all") usage("--subset is all or ci");
            o.ci = s == "ci";
        } else if (arg == "--jobs")
            o.jobs = std::size_t(std::max(1.0, number(value())));
        else if (arg == "--max-confusions")
            o.max_confusions = std::size_t(number(value()));
        else if (arg == "--assert-accuracy")
            o.assert_accuracy = number(value());
        else if (arg == "--assert-false-accepts")
            o.assert_false_accepts = number(value());
        else if (arg == "--echo-canceller")
            o.echo_canceller = true;
        else if (arg == "--noise-suppression")
            o.noise_suppression = true;
        else if (arg == "--dump")
            o.dump = value();
        else
            usage(("unknown option " + arg).c_str());
    }
    return o;
}

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

double median(std::vector<double> v) {
    if (v.empty()) return 1000;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// The engine's front end on one turn, frame by frame as a call feeds it: each 20 ms of the
// bot's audio is sent as it starts to play, and the caller's line arrives when its 20 ms are
// complete (the echo_eval bench's timing). The bot's earlier audio primes the canceller.
ringoverbot::Status filter_turn(Turn& turn, std::uint32_t rate, const Options& opt) {
    namespace agent = ringoverbot::agent;
    auto created = agent::EchoCanceller::create({.line_rate_hz = rate,
                                                 .noise_suppression = opt.noise_suppression,
                                                 .cancel_echo = opt.echo_canceller});
    if (!created) return created.error();
    agent::EchoCanceller& aec = **created;
    const std::size_t frame = aec.frame_samples();
    constexpr std::int64_t kFrameUs = 20000;
    std::int64_t now = 0;
    std::vector<std::int16_t> line(frame), silent(frame, 0);
    auto step = [&](std::span<const std::int16_t> played, std::span<std::int16_t> caller) {
        aec.on_sent(now, played);
        aec.on_caller_audio(now + kFrameUs, caller.size());
        aec.process(caller);
        now += kFrameUs;
    };
    for (std::size_t at = 0; at + frame <= turn.bot_before.size(); at += frame) {
        auto played = std::span<const std::int16_t>(turn.bot_before).subspan(at, frame);
        for (std::size_t i = 0; i < frame; ++i)
            line[i] = static_cast<std::int16_t>(std::lround(turn.bot_gain * played[i]));
        step(played, line);
    }
    for (std::size_t at = 0; at + frame <= turn.samples.size(); at += frame) {
        auto played = turn.bot_played.empty()
                          ? std::span<const std::int16_t>(silent)
                          : std::span<const std::int16_t>(turn.bot_played).subspan(at, frame);
        step(played, std::span<std::int16_t>(turn.samples).subspan(at, frame));
    }
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    namespace fs = std::filesystem;

    auto recordings = load_recordings((fs::path(opt.corpus) / "recordings.txt").string());
    if (!recordings) usage(recordings.error().message.c_str());
    std::vector<EvalDialog> dialogs;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(opt.corpus))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        if (!wanted(opt.dialogs, f.stem().string())) continue;
        auto d = load_dialog(f.string());
        if (!d) usage(d.error().message.c_str());
        dialogs.push_back(std::move(*d));
    }
    std::vector<Condition> conditions;
    std::vector<std::string> condition_names;
    for (const auto& c : all_conditions())
        if (wanted(opt.conditions, c.name))
            conditions.push_back(c), condition_names.push_back(c.name);
    if (dialogs.empty() || conditions.empty()) usage("no dialog or no condition selected");

    // The level noise and the bot's voice are set against: the recording's own speech, or for
    // non-speech the corpus's median speech level.
    std::vector<double> levels;
    std::vector<double> speech_levels;
    for (const auto& r : *recordings) {
        levels.push_back(active_rms(r.samples, r.rate_hz));
        if (!r.reference.empty()) speech_levels.push_back(levels.back());
    }
    const double median_level = median(speech_levels);
    for (std::size_t i = 0; i < levels.size(); ++i)
        if ((*recordings)[i].reference.empty()) levels[i] = median_level;

    std::size_t ambiguous = 0;
    const auto utterances = utterances_of(dialogs, *recordings, opt.ci, ambiguous);
    std::printf("corpus: %zu recordings, %zu dialogs, subset %s, %zu ambiguous pairs left out\n",
                recordings->size(), dialogs.size(), opt.ci ? "ci" : "all", ambiguous);
    std::printf("front end: echo canceller %s, noise suppression %s\n",
                opt.echo_canceller ? "on" : "off", opt.noise_suppression ? "on" : "off");
    for (std::size_t d = 0; d < dialogs.size(); ++d) {
        std::size_t in = 0, out = 0;
        for (const auto& u : utterances)
            if (u.dialog == d) (u.expected >= 0 ? in : out)++;
        std::printf("  %-11s %3zu in-dialog, %3zu out-of-dialog; intents:", dialogs[d].name.c_str(),
                    in, out);
        for (std::size_t i = 0; i < dialogs[d].labels.size(); ++i) {
            const auto& intent = dialogs[d].dialog.intents[i];
            std::printf(" %s%s", dialogs[d].labels[i].c_str(),
                        intent.end        ? "[end]"
                        : intent.transfer ? "[transfer]"
                                          : "");
        }
        std::printf("\n");
    }

    std::vector<std::int16_t> bot;
    if (std::any_of(conditions.begin(), conditions.end(),
                    [](const Condition& c) { return c.bot_level_db != 0; })) {
        auto voice = synthesize_bot_voice_8k();
        if (!voice) usage(voice.error().message.c_str());
        bot = std::move(*voice);
    }

    // --jobs decoding threads (the provider's pool) and as many feeders, dialog by dialog so
    // each phrase set's decoders stay loaded.
    auto pool = providers::WorkerPool::create(opt.jobs);
    auto stt = providers::make_pocketsphinx_stt({}, pool);
    if (!stt) usage(stt.error().message.c_str());

    std::vector<Outcome> outcomes;
    for (const auto& u : utterances)
        for (std::size_t c = 0; c < conditions.size(); ++c) outcomes.push_back({u, c, {}});
    std::stable_sort(outcomes.begin(), outcomes.end(), [](const Outcome& a, const Outcome& b) {
        return a.utterance.dialog < b.utterance.dialog;
    });

    std::atomic<std::size_t> next{0};
    std::atomic<double> audio_seconds{0};
    const auto started = std::chrono::steady_clock::now();
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < outcomes.size();) {
            Outcome& o = outcomes[i];
            const Recording& rec = (*recordings)[o.utterance.recording];
            const Condition& cond = conditions[o.condition];
            const std::uint64_t seed = 0x9E3779B97F4A7C15ull * (o.utterance.recording + 1);
            auto turn =
                make_turn(rec.samples, rec.rate_hz, cond, levels[o.utterance.recording], bot, seed);
            if (!turn) {
                o.heard.error = turn.error().message;
                continue;
            }
            if (opt.echo_canceller || opt.noise_suppression) {
                if (auto st = filter_turn(*turn, cond.rate_hz, opt); !st) {
                    o.heard.error = st.error().message;
                    continue;
                }
            }
            providers::SttOptions so;
            so.sample_rate_hz = cond.rate_hz;
            so.line_encoding = cond.encoding;
            so.phrases = dialogs[o.utterance.dialog].phrases;
            so.call_id = rec.id;
            o.heard = decode_turn(**stt, so, *turn);
            audio_seconds.fetch_add(double(turn->samples.size()) / cond.rate_hz);
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < opt.jobs; ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("decoded %zu turns (%.0f s of line audio) in %.1f s wall: %.1fx real time\n",
                outcomes.size(), audio_seconds.load(), wall, audio_seconds.load() / wall);

    print_report(stdout, outcomes, dialogs, *recordings, condition_names, opt.min_confidence,
                 opt.max_confusions);
    if (!opt.dump.empty() &&
        !dump_outcomes(opt.dump, outcomes, dialogs, *recordings, condition_names))
        usage(("cannot write " + opt.dump).c_str());

    int status = 0;
    for (std::size_t c = 0; c < conditions.size(); ++c) {
        const Rates r = rates_of(outcomes, dialogs, c, opt.min_confidence);
        if (r.errors) {
            std::printf("FAIL %s: %zu decodes failed\n", condition_names[c].c_str(), r.errors);
            status = 1;
        }
        if (opt.assert_accuracy >= 0 && r.accuracy() < opt.assert_accuracy) {
            std::printf("FAIL %s: accuracy %.3f < %.3f\n", condition_names[c].c_str(), r.accuracy(),
                        opt.assert_accuracy);
            status = 1;
        }
        if (opt.assert_false_accepts >= 0 && r.false_accept_rate() > opt.assert_false_accepts) {
            std::printf("FAIL %s: false accepts %.3f > %.3f\n", condition_names[c].c_str(),
                        r.false_accept_rate(), opt.assert_false_accepts);
            status = 1;
        }
    }
    return status;
}
