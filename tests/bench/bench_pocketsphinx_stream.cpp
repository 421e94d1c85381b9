// The local STT on real voices, decoding as the caller speaks: Debian's asterisk-core-sounds-en
// recordings (a human voice, 8 kHz) against the demo dialog's grammar, each one the first turn
// of its own call, then each one the second turn (after "please try again"). Prints, per line
// condition, intent accuracy on the recordings that say a dialog phrase, false accepts on the
// others (an intent at the engine's default min_confidence 0.5), a min_confidence sweep, and how
// long the final takes after the endpoint.
//
//   bench_pocketsphinx_stream            a short run (ctest; a handful of recordings)
//   bench_pocketsphinx_stream --full     every recording listed below
//
// Each recording is fed in 20 ms frames after 300 ms of line noise, with speech_started() at
// its start; the program waits for the decoder to catch up (as it does in real time: decoding
// runs ~20x faster than speech), then feeds the 500 ms of endpointing silence and times
// end_of_turn() -> final.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSounds = "/usr/share/asterisk/sounds/en/";

struct InDialog {
    const char* name;
    std::size_t intent;  // the demo dialog's intent it says
};
// Every recording of the package whose words are one of the demo dialog's phrases.
const InDialog kInDialog[] = {{"extension", 3},  {"vm-extension", 3}, {"to-extension", 3},
                              {"dir-multi3", 3}, {"pbx-transfer", 2}, {"goodbye", 4},
                              {"vm-goodbye", 4}};
// Recordings under 5 s that say none of the dialog's words (every fifth of them).
const char* const kOutOfDialog[] = {"agent-pass",
                                    "auth-incorrect",
                                    "call-fwd-no-ans",
                                    "cancelled",
                                    "conf-extended",
                                    "conf-hasjoin",
                                    "conf-leaderhasleft",
                                    "conf-nonextended",
                                    "conf-onlyperson",
                                    "conf-unlockednow",
                                    "confbridge-begin-glorious-a",
                                    "confbridge-binaural-on",
                                    "confbridge-dec-talk-vol-in",
                                    "confbridge-inc-list-vol-out",
                                    "confbridge-leave-in",
                                    "confbridge-lock-out",
                                    "confbridge-mute-out",
                                    "confbridge-pin-bad",
                                    "confbridge-rest-list-vol-out",
                                    "confbridge-unmuted",
                                    "dir-firstlast",
                                    "dir-nomatch",
                                    "do-not-disturb",
                                    "for",
                                    "im-sorry",
                                    "location",
                                    "number-not-answering",
                                    "please-try-call-later",
                                    "priv-recordintro",
                                    "privacy-unident",
                                    "queue-minutes",
                                    "queue-thankyou",
                                    "simul-call-limit-reached",
                                    "speed-dial",
                                    "spy-iax2",
                                    "spy-misdn",
                                    "spy-unistim",
                                    "time",
                                    "tt-somethingwrong",
                                    "vm-and",
                                    "vm-dialout",
                                    "vm-forward-multiple",
                                    "vm-incorrect",
                                    "vm-leavemsg",
                                    "vm-message",
                                    "vm-msgsaved",
                                    "vm-nomore",
                                    "vm-passchanged",
                                    "vm-reachoper",
                                    "vm-repeat",
                                    "vm-savefolder",
                                    "vm-tempgreetactive",
                                    "vm-tocallback",
                                    "vm-toforward",
                                    "vm-torerecord",
                                    "vm-youhave",
                                    "all-circuits-busy-now"};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Sink : public SttSink {
  public:
    void on_transcript(std::string_view text, bool is_final, double confidence) override {
        std::lock_guard lock(m_);
        if (!is_final) {
            ++interims_;
            return;
        }
        final_ = std::string(text);
        confidence_ = confidence;
        at_ = Clock::now();
        cv_.notify_all();
    }
    void on_error(const Error& e) override {
        std::lock_guard lock(m_);
        std::fprintf(stderr, "error: %s\n", e.message.c_str());
        final_ = "";
        confidence_ = 0;
        at_ = Clock::now();
        cv_.notify_all();
    }
    bool wait() {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return final_.has_value(); });
    }
    std::optional<std::string> final_;
    double confidence_ = 0;
    Clock::time_point at_;
    int interims_ = 0;

  private:
    std::mutex m_;
    std::condition_variable cv_;
};

void settle(WorkerPool& pool) {
    std::promise<void> done;
    pool.post([&] { done.set_value(); });
    done.get_future().wait();
}

std::vector<std::int16_t> noise(std::size_t n, std::uint32_t seed) {
    std::vector<std::int16_t> out(n);
    for (auto& s : out) {
        seed = seed * 1664525u + 1013904223u;
        s = static_cast<std::int16_t>(static_cast<int>(seed >> 24) % 41 - 20);
    }
    return out;
}

struct Result1 {
    std::string name, text;
    double confidence = 0;
    std::optional<std::size_t> expected;  // nullopt: out of dialog
    std::optional<std::size_t> heard;     // the intent the dialog matched
    double final_ms = 0;
};

double share(std::size_t part, std::size_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    bool full = false;
    for (int i = 1; i < argc; ++i) full = full || std::strcmp(argv[i], "--full") == 0;
    if (!std::filesystem::exists(std::string(kSounds) + "goodbye.wav")) {
        std::printf("asterisk-core-sounds-en-wav is not installed: nothing to measure\n");
        return 0;
    }
    const std::string dialog_json = read_text(ROB_TEST_DATA_DIR "/../../examples/demo-dialog.json");
    auto summary = describe_dialog(dialog_json);
    auto dialog = local::parse_dialog(dialog_json);
    if (!summary || !dialog) return 1;
    auto pool = WorkerPool::create(1);
    auto stt = make_pocketsphinx_stt({}, pool);
    if (!stt) return 1;

    struct Item {
        std::string name;
        std::optional<std::size_t> intent;
    };
    std::vector<Item> items;
    for (const auto& d : kInDialog) items.push_back({d.name, d.intent});
    std::size_t outs = 0;
    for (const char* n : kOutOfDialog)
        if (full || outs++ < 8) items.push_back({n, std::nullopt});

    // The turn before, for "later turn" runs: a sentence of the same voice.
    auto warmup = audio::read_wav_file(std::string(kSounds) + "please-try-again.wav");
    if (!warmup) return 1;
    for (const auto& [ulaw, later] : {std::pair{false, false}, std::pair{true, false},
                                      std::pair{false, true}, std::pair{true, true}}) {
        std::vector<Result1> results;
        for (const auto& item : items) {
            auto wav = audio::read_wav_file(std::string(kSounds) + item.name + ".wav");
            if (!wav || wav->channels != 1) continue;
            std::vector<std::int16_t> pcm = wav->samples;
            if (ulaw) {
                std::vector<std::uint8_t> coded(pcm.size());
                audio::ulaw_encode(pcm, coded);
                audio::ulaw_decode(coded, pcm);
            }
            const std::uint32_t rate = wav->sample_rate_hz;
            if (warmup->sample_rate_hz != rate) return 1;
            SttOptions options;
            options.sample_rate_hz = rate;
            options.phrases = summary->phrases;
            auto sink = std::make_shared<Sink>();
            auto stream = (*stt)->open(options, sink);
            if (!stream) return 1;
            const std::size_t frame = rate / 50;
            auto feed = [&](std::span<const std::int16_t> a) {
                for (std::size_t at = 0; at < a.size(); at += frame)
                    (*stream)->send_audio(a.subspan(at, std::min(frame, a.size() - at)));
            };
            if (later) {  // a first turn of the call before: its mean is known
                feed(noise(rate * 3 / 10, 3));
                (*stream)->speech_started();
                feed(warmup->samples);
                settle(*pool);
                feed(noise(rate / 2, 4));
                (*stream)->end_of_turn();
                if (!sink->wait()) return 1;
                sink->final_.reset();
            }
            feed(noise(rate * 3 / 10, 1));
            (*stream)->speech_started();
            feed(pcm);
            settle(*pool);
            feed(noise(rate / 2, 2));
            settle(*pool);
            const auto t0 = Clock::now();
            (*stream)->end_of_turn();
            if (!sink->wait()) return 1;
            Result1 r;
            r.name = item.name;
            r.text = *sink->final_;
            r.confidence = sink->confidence_;
            r.expected = item.intent;
            if (const auto* hit = dialog->match(r.text))
                r.heard = static_cast<std::size_t>(hit - dialog->intents.data());
            r.final_ms = std::chrono::duration<double, std::milli>(sink->at_ - t0).count();
            results.push_back(std::move(r));
        }
        std::printf("== asterisk-core-sounds-en, 8 kHz %s, demo dialog, live decoding, %s\n",
                    ulaw ? "mu-law" : "L16",
                    later ? "second turn of the call" : "first turn of the call");
        for (const auto& r : results)
            std::printf("  %-30s %-3s conf %.2f  %6.1f ms  \"%s\"\n", r.name.c_str(),
                        r.expected ? "in" : "out", r.confidence, r.final_ms, r.text.c_str());
        for (const double min : {0.3, 0.5, 0.7, 0.8, 0.9}) {
            std::size_t in = 0, right = 0, out = 0, accepted = 0;
            for (const auto& r : results) {
                const bool passes = r.confidence < 0 || r.confidence >= min;
                if (r.expected) {
                    ++in;
                    right += passes && r.heard == r.expected;
                } else {
                    ++out;
                    accepted += passes && r.heard.has_value();
                }
            }
            std::printf(
                "  min_confidence %.1f: intent accuracy %zu/%zu (%.0f %%), false accepts "
                "%zu/%zu (%.1f %%)\n",
                min, right, in, share(right, in), accepted, out, share(accepted, out));
        }
        // A final the live decode is sure of is ready at once; a doubtful one (below 0.5) is
        // decoded a second time, whole, with the turn's own cepstral mean.
        std::vector<double> all, sure, doubtful;
        for (const auto& r : results) {
            all.push_back(r.final_ms);
            (r.confidence >= 0.5 ? sure : doubtful).push_back(r.final_ms);
        }
        for (const auto& [what, ms] : {std::pair{"all", &all}, std::pair{"sure (>= 0.5)", &sure},
                                       std::pair{"doubtful", &doubtful}})
            std::printf("  end_of_turn -> final, %s: p50 %.1f ms, p95 %.1f ms (%zu turns)\n", what,
                        percentile(*ms, 0.5), percentile(*ms, 0.95), ms->size());
    }
    return 0;
}
