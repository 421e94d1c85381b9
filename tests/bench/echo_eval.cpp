// The echo canceller on synthetic speakerphone lines (tests/unit/echo_path.hpp): the bot's real
// voice (flite, the recognition bench's bot text) comes back into the caller's line 50..300 ms
// late, 6 or 12 dB down, with or without a real caller (asterisk-core-sounds-en-wav) talking at
// the same time. Prints:
// - ERLE (echo return loss enhancement, dB) after the first 4 s, and how much of the caller's
//   own speech survives (dB, 0 = untouched), for speexdsp's MDF filter through the engine's
//   EchoCanceller, and for webrtc-audio-processing's AEC when it was found at build time;
// - barge-in over 6 dB echo: the engine's VAD and turn detector (with the echo gate) on the raw
//   and the cancelled line: false barge-ins on echo alone, and the delay to detect a caller;
// - the filter's tail length against the delays: ERLE and cost per tail (choosing the default);
// - the cost per 20 ms frame (the canceller running, and idle), for each canceller.
//
//   echo_eval [--seconds S] [--quick]
// --quick (ctest) runs one path and a short cost loop so that the program cannot rot.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../unit/echo_path.hpp"
#include "agent/echo_canceller.hpp"
#include "agent/echo_reference.hpp"
#include "agent/voice_activity.hpp"
#include "recognition/bot_voice.hpp"
#include "ringoverbot/audio.hpp"

#ifdef ROB_HAVE_WEBRTC_APM
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>
#endif

namespace agent = ringoverbot::agent;
namespace audio = ringoverbot::audio;

namespace {

constexpr std::uint32_t kRate = 8000;
constexpr std::size_t kFrame = kRate / 50;
constexpr std::int64_t kFrameUs = 20000;

// One canceller under test: fed the bot's audio as it is played, and the caller's line frame by
// frame.
class Canceller {
  public:
    virtual ~Canceller() = default;
    virtual const char* name() const = 0;
    // `played` is the bot audio of this frame's 20 ms (what the reference timeline holds);
    // `line` is cancelled in place.
    virtual void frame(std::int64_t now_us, std::span<const std::int16_t> played,
                       std::span<std::int16_t> line) = 0;
};

class Speex final : public Canceller {
  public:
    explicit Speex(std::uint32_t tail_ms, bool ns = false, std::uint32_t rate = kRate)
        : aec_(std::move(agent::EchoCanceller::create(
                             {.line_rate_hz = rate, .tail_ms = tail_ms, .noise_suppression = ns})
                             .value())) {}
    const char* name() const override { return "speexdsp MDF"; }
    void frame(std::int64_t now_us, std::span<const std::int16_t> played,
               std::span<std::int16_t> line) override {
        // The pacer sends ahead; here each frame's audio is sent as it starts to play.
        aec_->on_sent(now_us, played);
        aec_->on_caller_audio(now_us + kFrameUs, line.size());
        aec_->process(line);
    }
    agent::EchoCanceller& aec() { return *aec_; }

  private:
    std::unique_ptr<agent::EchoCanceller> aec_;
};

#ifdef ROB_HAVE_WEBRTC_APM
// webrtc-audio-processing 0.3 (Debian): the desktop AEC with its delay-agnostic mode and the
// extended filter (no delay is known to it), high suppression; 10 ms frames.
class Webrtc final : public Canceller {
  public:
    explicit Webrtc(std::uint32_t rate = kRate) : rate_(rate) {
        webrtc::Config config;
        config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
        config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
        apm_.reset(webrtc::AudioProcessing::Create(config));
        apm_->echo_cancellation()->enable_drift_compensation(false);
        apm_->echo_cancellation()->set_suppression_level(
            webrtc::EchoCancellation::kHighSuppression);
        apm_->echo_cancellation()->Enable(true);
    }
    const char* name() const override { return "webrtc AEC (0.3)"; }
    void frame(std::int64_t, std::span<const std::int16_t> played,
               std::span<std::int16_t> line) override {
        const std::size_t half = line.size() / 2;
        for (std::size_t h = 0; h < 2; ++h) {
            webrtc::AudioFrame far, near;
            fill(far, played.subspan(h * half, half));
            fill(near, line.subspan(h * half, half));
            apm_->AnalyzeReverseStream(&far);
            apm_->set_stream_delay_ms(0);
            apm_->ProcessStream(&near);
            std::copy_n(near.data_, half, line.begin() + static_cast<std::ptrdiff_t>(h * half));
        }
    }

  private:
    void fill(webrtc::AudioFrame& f, std::span<const std::int16_t> s) const {
        f.sample_rate_hz_ = static_cast<int>(rate_);
        f.num_channels_ = 1;
        f.samples_per_channel_ = s.size();
        std::copy(s.begin(), s.end(), f.data_);
    }
    std::uint32_t rate_;
    std::unique_ptr<webrtc::AudioProcessing> apm_;
};
#endif

std::vector<std::unique_ptr<Canceller>> cancellers() {
    std::vector<std::unique_ptr<Canceller>> v;
    v.push_back(std::make_unique<Speex>(400));
#ifdef ROB_HAVE_WEBRTC_APM
    v.push_back(std::make_unique<Webrtc>());
#endif
    return v;
}

std::vector<std::int16_t> looped(const std::vector<std::int16_t>& s, std::size_t n) {
    std::vector<std::int16_t> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = s[i % s.size()];
    return out;
}

// The caller: real recordings (8 kHz) one after another with short pauses, else speech-like.
std::vector<std::int16_t> caller_voice(std::size_t n, double dbfs) {
    const std::filesystem::path dir = "/usr/share/asterisk/sounds/en";
    std::vector<std::int16_t> v;
    for (const char* name : {"demo-congrats.wav", "conf-waitforleader.wav", "queue-thereare.wav",
                             "all-circuits-busy-now.wav", "demo-nomatch.wav"}) {
        auto w = audio::read_wav_file((dir / name).string());
        if (!w || w->sample_rate_hz != kRate || w->channels != 1) continue;
        v.insert(v.end(), w->samples.begin(), w->samples.end());
        v.resize(v.size() + kRate / 2, 0);
    }
    if (v.empty()) return rob_test::speech_like(n, kRate, 9, dbfs);
    double e = 0;
    std::size_t k = 0;
    for (auto s : v)
        if (std::abs(s) > 100) e += double(s) * s, ++k;
    const double gain =
        32767 * std::pow(10, dbfs / 20) / std::sqrt(e / double(std::max<std::size_t>(k, 1)));
    auto out = looped(v, n);
    for (auto& s : out) s = static_cast<std::int16_t>(std::clamp(s * gain, -32767.0, 32767.0));
    return out;
}

struct PathResult {
    double erle = 0, erle_after = 0, near_kept = 0;
};

// Runs one canceller over one path: the bot talks for the whole run. Alone: ERLE after 4 s.
// With double talk the caller talks from 4 s to 10 s: how much of their speech comes through
// (the line's energy where they talk, over their own), and the ERLE once they stop (10 s on:
// whether the filter kept what it had learned).
PathResult run_path(Canceller& c, const std::vector<std::int16_t>& bot,
                    const std::vector<std::int16_t>& caller, const rob_test::EchoPath& path,
                    bool double_talk) {
    const std::size_t n = bot.size(), from = kRate * 4,
                      until = std::min(n, std::size_t{kRate} * 10);
    std::vector<std::int16_t> near(n, 0);
    if (double_talk)
        std::copy(caller.begin() + static_cast<std::ptrdiff_t>(from),
                  caller.begin() + static_cast<std::ptrdiff_t>(until),
                  near.begin() + static_cast<std::ptrdiff_t>(from));
    const auto echo = path.echo_of(bot);
    auto line = path.line(echo, near);
    for (std::size_t f = 0; (f + 1) * kFrame <= n; ++f) {
        c.frame(static_cast<std::int64_t>(f) * kFrameUs,
                std::span<const std::int16_t>(bot).subspan(f * kFrame, kFrame),
                std::span<std::int16_t>(line).subspan(f * kFrame, kFrame));
    }
    PathResult r;
    r.erle = rob_test::erle_db(echo, line, near, from, n);
    if (double_talk) {
        double in = 0, out = 0;
        for (std::size_t i = from; i < until; ++i) {
            if (std::abs(near[i]) < 300) continue;
            in += double(near[i]) * near[i];
            out += double(line[i]) * line[i];  // what is left there, echo residue included
        }
        r.near_kept = 10 * std::log10((out + 1) / (in + 1));
        r.erle_after = rob_test::erle_db(echo, line, near, until, n);
    }
    return r;
}

void erle_table(const std::vector<std::int16_t>& bot_voice, double seconds, bool quick) {
    const std::size_t n = static_cast<std::size_t>(seconds * kRate);
    const auto bot = looped(bot_voice, n);
    const auto caller = caller_voice(n, -20);
    std::printf(
        "\nERLE on synthetic echo paths (8 kHz, the bot's flite voice at about -20 dBFS, "
        "%.0f s, measured after 4 s)\n",
        seconds);
    std::printf("%-18s %6s %6s %14s %18s %18s\n", "canceller", "RL dB", "delay", "ERLE alone",
                "caller kept (dbl)", "ERLE after dbl");
    const std::vector<std::uint32_t> delays =
        quick ? std::vector<std::uint32_t>{100} : std::vector<std::uint32_t>{50, 100, 200, 300};
    for (double rl : {6.0, 12.0}) {
        for (std::uint32_t d : delays) {
            rob_test::EchoPath path{
                .rate_hz = kRate, .delay_ms = d, .return_loss_db = rl, .noise_dbfs = -65};
            for (std::size_t k = 0; k < cancellers().size(); ++k) {
                auto single = std::move(cancellers()[k]);
                auto dbl = std::move(cancellers()[k]);
                const PathResult a = run_path(*single, bot, caller, path, false);
                const PathResult b = run_path(*dbl, bot, caller, path, true);
                std::printf("%-18s %6.0f %4u ms %11.1f dB %15.1f dB %15.1f dB\n", single->name(),
                            rl, d, a.erle, b.near_kept, b.erle_after);
            }
            if (quick) break;
        }
        if (quick) break;
    }
}

// The engine's VAD and turn detector with the echo gate (default settings), on 6 dB of echo at
// 150 ms: false barge-ins while only the echo is there, then the caller talks at 8 s.
void barge_in_table(const std::vector<std::int16_t>& bot_voice, bool quick) {
    const double seconds = quick ? 10 : 16;
    const std::size_t n = static_cast<std::size_t>(seconds * kRate), onset = kRate * 8;
    const auto bot = looped(bot_voice, n);
    auto near = caller_voice(n, -20);
    std::fill(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(onset), std::int16_t{0});
    // The first word starts at the onset: skip the recording's leading silence.
    rob_test::EchoPath path{
        .rate_hz = kRate, .delay_ms = 150, .return_loss_db = 6, .noise_dbfs = -65};
    const auto echo = path.echo_of(bot);
    std::printf(
        "\nBarge-in over 6 dB echo at 150 ms (the engine's VAD + echo gate, barge_in_ms 200; "
        "the bot talks throughout, the caller from 8 s)\n");
    std::printf("%-22s %18s %22s\n", "line", "false barge-ins", "caller detected after");
    // Mode 1 is the gate unaware of the canceller (before), mode 2 the gate lowered by the
    // canceller's measured reduction once converged (the engine's).
    for (int mode = 0; mode < 3; ++mode) {
        auto line = path.line(echo, near);
        Speex speex(400);
        agent::EchoReference gate(kRate, 1200);
        agent::EnergyVad vad;
        agent::TurnDetector detector;
        int false_starts = 0;
        double detected_ms = -1;
        std::size_t first_voice = onset;
        while (first_voice < n && std::abs(near[first_voice]) < 300) ++first_voice;
        for (std::size_t f = 0; (f + 1) * kFrame <= n; ++f) {
            const std::int64_t now = static_cast<std::int64_t>(f) * kFrameUs;
            auto played = std::span<const std::int16_t>(bot).subspan(f * kFrame, kFrame);
            auto frame = std::span<std::int16_t>(line).subspan(f * kFrame, kFrame);
            gate.on_sent(now, played);
            if (mode >= 1) speex.frame(now, played, frame);
            const double reduction = mode == 2 ? speex.aec().echo_reduction_db() : 0.0;
            const bool speech =
                vad.is_speech(frame, 0.02, gate.level_at(now + kFrameUs) - reduction);
            if (detector.feed(speech, 20, true) == agent::TurnEvent::speech_started) {
                const std::size_t at = (f + 1) * kFrame;
                if (at <= first_voice)
                    ++false_starts;
                else if (detected_ms < 0)
                    detected_ms = double(at - first_voice) * 1000.0 / kRate;
            }
        }
        const char* names[] = {"raw (echo gate only)", "cancelled + gate", "cancelled + gate-ERLE"};
        std::printf("%-22s %18d %19.0f ms\n", names[mode], false_starts, detected_ms);
    }
}

template <class F>
double us_per_frame(F&& f, std::size_t frames) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < frames; ++i) f(i);
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / double(frames);
}

// The filter's tail against the bench's delays: ERLE alone and with the caller talking (6 dB,
// after 4 s), and what each tail costs per 20 ms frame at 8 kHz while the bot speaks. The
// echo path is the delay plus a 15 ms room response, so a tail must reach past both.
void tail_table(const std::vector<std::int16_t>& bot_voice, double seconds, bool quick) {
    const std::size_t n = static_cast<std::size_t>(seconds * kRate);
    const auto bot = looped(bot_voice, n);
    const auto caller = caller_voice(n, -20);
    const std::vector<std::uint32_t> delays =
        quick ? std::vector<std::uint32_t>{100} : std::vector<std::uint32_t>{50, 100, 200, 300};
    const std::vector<std::uint32_t> tails =
        quick ? std::vector<std::uint32_t>{400}
              : std::vector<std::uint32_t>{120, 200, 250, 300, 350, 400, 600};
    std::printf(
        "\nTail length at 8 kHz, 6 dB return loss: ERLE alone / after double talk (dB) "
        "per delay, and the cost while the bot speaks\n");
    std::printf("%-10s", "tail");
    for (auto d : delays) std::printf("   %4u ms delay", d);
    std::printf(" %10s %8s\n", "us/frame", "% core");
    for (std::uint32_t tail : tails) {
        std::printf("%4u ms   ", tail);
        for (std::uint32_t d : delays) {
            rob_test::EchoPath path{
                .rate_hz = kRate, .delay_ms = d, .return_loss_db = 6, .noise_dbfs = -65};
            Speex a(tail), b(tail);
            const PathResult alone = run_path(a, bot, caller, path, false);
            const PathResult dbl = run_path(b, bot, caller, path, true);
            std::printf("   %5.1f / %5.1f", alone.erle, dbl.erle_after);
        }
        const std::size_t frames = quick ? 100 : 2000;
        auto line = bot;
        for (auto& v : line) v = static_cast<std::int16_t>(v / 2);
        Speex s(tail);
        std::vector<std::int16_t> buf(kFrame);
        const double us = us_per_frame(
            [&](std::size_t i) {
                const std::size_t at = (i * kFrame) % (n - kFrame);
                std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(at), kFrame, buf.begin());
                s.frame(static_cast<std::int64_t>(i) * kFrameUs,
                        std::span<const std::int16_t>(bot).subspan(at, kFrame), buf);
            },
            frames);
        std::printf(" %10.1f %7.2f%%\n", us, us / 200.0);
    }
}

void cost_table(const std::vector<std::int16_t>& bot_voice, bool quick) {
    const std::size_t frames = quick ? 100 : 3000;
    std::printf(
        "\nCost per 20 ms caller frame (%zu frames, this machine; a call's line is 50 "
        "frames a second)\n",
        frames);
    std::printf("%-34s %12s %14s\n", "canceller", "us/frame", "% of a core");
    for (std::uint32_t rate : {8000u, 16000u}) {
        const std::size_t frame = rate / 50;
        auto bot = looped(bot_voice, frames * frame + frame);
        auto line = bot;
        for (auto& s : line) s = static_cast<std::int16_t>(s / 2);
        for (std::uint32_t tail : {200u, 400u, 800u}) {
            Speex s(tail, false, rate);
            std::vector<std::int16_t> buf(frame);
            const double us = us_per_frame(
                [&](std::size_t i) {
                    std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(i * frame), frame,
                                buf.begin());
                    s.frame(static_cast<std::int64_t>(i) * kFrameUs,
                            std::span<const std::int16_t>(bot).subspan(i * frame, frame), buf);
                },
                frames);
            std::printf("speexdsp %5u Hz tail %4u ms %12.1f %13.2f%%\n", rate, tail, us,
                        us / 200.0);
        }
        {
            Speex s(400, true, rate);
            std::vector<std::int16_t> buf(frame);
            const double us = us_per_frame(
                [&](std::size_t i) {
                    std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(i * frame), frame,
                                buf.begin());
                    s.frame(static_cast<std::int64_t>(i) * kFrameUs,
                            std::span<const std::int16_t>(bot).subspan(i * frame, frame), buf);
                },
                frames);
            std::printf("speexdsp %5u Hz 400 ms + denoise %7.1f %13.2f%%\n", rate, us, us / 200.0);
        }
        {
            // No bot audio: the frame passes untouched (a ring lookup).
            auto aec = agent::EchoCanceller::create({.line_rate_hz = rate, .tail_ms = 400});
            std::vector<std::int16_t> buf(frame);
            const double us = us_per_frame(
                [&](std::size_t i) {
                    aec.value()->on_caller_audio(static_cast<std::int64_t>(i + 1) * kFrameUs,
                                                 frame);
                    aec.value()->process(buf);
                },
                frames * 10);
            std::printf("speexdsp %5u Hz idle (bot silent) %9.3f %13.4f%%\n", rate, us, us / 200.0);
        }
#ifdef ROB_HAVE_WEBRTC_APM
        {
            Webrtc w(rate);
            std::vector<std::int16_t> buf(frame);
            const double us = us_per_frame(
                [&](std::size_t i) {
                    std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(i * frame), frame,
                                buf.begin());
                    w.frame(0, std::span<const std::int16_t>(bot).subspan(i * frame, frame), buf);
                },
                frames);
            std::printf("webrtc AEC 0.3 %5u Hz %17.1f %13.2f%%\n", rate, us, us / 200.0);
        }
#endif
    }
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 16;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
            seconds = 8;
        } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = std::max(6.0, std::atof(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: echo_eval [--seconds S] [--quick]\n");
            return 2;
        }
    }
    auto voice = recognition::synthesize_bot_voice_8k();
    if (!voice) {
        std::fprintf(stderr, "echo_eval: %s\n", voice.error().message.c_str());
        return 1;
    }
    erle_table(*voice, seconds, quick);
    barge_in_table(*voice, quick);
    tail_table(*voice, seconds, quick);
    cost_table(*voice, quick);
    return 0;
}
