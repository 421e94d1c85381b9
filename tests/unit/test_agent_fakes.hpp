// Fake providers and a virtual-clock driver for the call engine's tests.
//
// The fakes share a FakeWorld with the test (a shared_ptr that outlives the Call), so a test
// can script them, release their results when it wants, and deliver late callbacks after the
// call is gone. The driver plays the media server: it feeds 20 ms binary L16 frames (the
// caller's voice or noise, plus an echo of what the bot's audio is playing at that moment),
// advances the virtual clock, calls poll() at next_wakeup_us(), and parses what the call sends.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.hpp"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/audio.hpp"

namespace rob_test {

using namespace ringoverbot;
using namespace ringoverbot::agent;
using providers::Action;
using providers::ActionKind;

// How a fake answers a request.
enum class Mode {
    sync,    // everything at once, inside the request's start
    manual,  // held until the test calls release()
    hang,    // never a word (for the deadlines)
    fail,    // on_error at once
    refuse,  // the start itself fails
};

// What the fake LLM streams: tokens, actions, then done (or an error when fail_after > 0).
struct LlmStep {
    std::string token;
    std::optional<Action> action;
};

class FakeRequest;

struct FakeWorld {
    // ---- STT ----
    Mode stt_mode = Mode::sync;
    std::uint32_t stt_rate_hz = 16000;
    std::deque<std::string> transcripts;   // one final per end_of_turn ("" when exhausted)
    std::deque<double> confidences;        // of those finals, in order (1.0 when exhausted)
    std::uint64_t last_hint_samples = 0;   // stt_samples when the newest speech_started came
    std::uint64_t last_onset_samples = 0;  // where that start said the speech began
    providers::SttOptions stt_options;     // of the newest open()
    int stt_opened = 0, stt_cancelled = 0, end_of_turns = 0, speech_hints = 0;
    std::uint64_t stt_samples = 0;
    std::vector<std::shared_ptr<providers::SttSink>> stt_sinks;  // newest last
    std::deque<std::string> stt_held;  // manual mode: finals waiting for release_stt()
    bool stt_fail_once = false;        // the next end_of_turn reports an error instead

    // ---- LLM ----
    Mode llm_mode = Mode::sync;
    // The reply to a request (default: the scripted `reply` word by word).
    std::function<std::vector<LlmStep>(const providers::LlmRequest&)> script;
    std::string reply = "We are open from eight to six. Come and see us.";
    std::vector<providers::LlmRequest> llm_requests;
    int llm_cancelled = 0;
    struct HeldLlm {
        std::shared_ptr<providers::LlmSink> sink;
        std::vector<LlmStep> steps;
        std::size_t next = 0;
    };
    std::vector<HeldLlm> llm_held;
    int llm_fail_count = 0;    // the next N requests fail (whatever the mode)
    bool llm_at_once = false;  // replies_at_once(), as the scripted dialog says

    // ---- TTS ----
    Mode tts_mode = Mode::sync;
    std::function<Mode(const std::string&)> tts_mode_for;  // overrides tts_mode when set
    std::uint32_t tts_rate_hz = 16000;
    double tts_dbfs = -20.0;  // a telephone voice's RMS level
    std::uint32_t ms_per_char = 60;
    std::vector<std::string> tts_texts;
    int tts_cancelled = 0;
    struct HeldTts {
        std::shared_ptr<providers::TtsSink> sink;
        std::string text;
    };
    std::vector<HeldTts> tts_held;

    int requests_alive = 0;  // FakeRequest objects not yet destroyed

    // ---- helpers ----
    static std::vector<LlmStep> words(std::string_view text) {
        std::vector<LlmStep> steps;
        std::size_t i = 0;
        while (i < text.size()) {
            std::size_t j = text.find(' ', i + 1);
            if (j == std::string_view::npos) j = text.size();
            steps.push_back({std::string(text.substr(i, j - i)), std::nullopt});
            i = j;
        }
        return steps;
    }
    // The fake voice: a 440 Hz tone at tts_dbfs (RMS), ms_per_char per character.
    std::vector<std::int16_t> voice(const std::string& text) const {
        const std::size_t n = std::size_t{tts_rate_hz} * ms_per_char * text.size() / 1000;
        std::vector<std::int16_t> out(n);
        const double amp = 32767.0 * std::pow(10.0, tts_dbfs / 20.0) * std::sqrt(2.0);
        for (std::size_t i = 0; i < n; ++i)
            out[i] = static_cast<std::int16_t>(
                amp * std::sin(2.0 * M_PI * 440.0 * static_cast<double>(i) / tts_rate_hz));
        return out;
    }
    void deliver_tts(providers::TtsSink& sink, const std::string& text) const {
        const auto pcm = voice(text);
        const std::size_t chunk = tts_rate_hz / 10;  // 100 ms
        for (std::size_t off = 0; off < pcm.size(); off += chunk)
            sink.on_audio(
                std::span<const std::int16_t>(pcm).subspan(off, std::min(chunk, pcm.size() - off)),
                tts_rate_hz);
        sink.on_done();
    }
    // Releases held work. Returns false when there was none.
    bool release_stt() {
        if (stt_held.empty() || stt_sinks.empty()) return false;
        stt_sinks.back()->on_transcript(stt_held.front(), true, 1.0);
        stt_held.pop_front();
        return true;
    }
    bool release_llm_step(std::size_t i = 0) {
        if (i >= llm_held.size()) return false;
        auto& h = llm_held[i];
        if (h.next < h.steps.size()) {
            const auto& s = h.steps[h.next++];
            if (s.action)
                h.sink->on_action(*s.action);
            else
                h.sink->on_token(s.token);
            return true;
        }
        if (h.next == h.steps.size()) {
            ++h.next;
            h.sink->on_done();
            return true;
        }
        return false;
    }
    void release_llm_all(std::size_t i = 0) {
        while (release_llm_step(i)) {
        }
    }
    bool release_tts(std::size_t i = 0) {
        if (i >= tts_held.size()) return false;
        deliver_tts(*tts_held[i].sink, tts_held[i].text);
        return true;
    }
};

class FakeRequest : public providers::Request {
  public:
    FakeRequest(std::shared_ptr<FakeWorld> w, int FakeWorld::*counter)
        : world_(std::move(w)), counter_(counter) {
        ++world_->requests_alive;
    }
    ~FakeRequest() override {
        cancel();
        --world_->requests_alive;
    }
    void cancel() override {
        if (cancelled_) return;
        cancelled_ = true;
        ++((*world_).*counter_);
    }

  protected:
    std::shared_ptr<FakeWorld> world_;
    int FakeWorld::*counter_;
    bool cancelled_ = false;
};

class FakeSttStream final : public providers::SttStream {
  public:
    FakeSttStream(std::shared_ptr<FakeWorld> w, std::shared_ptr<providers::SttSink> sink)
        : world_(std::move(w)), sink_(std::move(sink)) {
        ++world_->requests_alive;
    }
    ~FakeSttStream() override {
        cancel();
        --world_->requests_alive;
    }
    void cancel() override {
        if (!cancelled_) ++world_->stt_cancelled;
        cancelled_ = true;
    }
    void send_audio(std::span<const std::int16_t> samples) override {
        world_->stt_samples += samples.size();
    }
    void speech_started() override {
        ++world_->speech_hints;
        world_->last_hint_samples = world_->stt_samples;
        world_->last_onset_samples = world_->stt_samples;  // a provider told no onset
    }
    void speech_started_at(std::uint32_t onset_ms_ago) override {
        speech_started();
        const std::uint64_t back = std::uint64_t{world_->stt_rate_hz} * onset_ms_ago / 1000;
        world_->last_onset_samples = world_->stt_samples > back ? world_->stt_samples - back : 0;
    }
    void end_of_turn() override {
        ++world_->end_of_turns;
        std::string text;
        if (!world_->transcripts.empty()) {
            text = world_->transcripts.front();
            world_->transcripts.pop_front();
        }
        double confidence = 1.0;
        if (!world_->confidences.empty()) {
            confidence = world_->confidences.front();
            world_->confidences.pop_front();
        }
        if (world_->stt_fail_once) {
            world_->stt_fail_once = false;
            sink_->on_error(Error{Errc::io, "fake stt: lost the connection"});
            return;
        }
        switch (world_->stt_mode) {
            case Mode::sync:
                sink_->on_transcript(text, true, confidence);
                break;
            case Mode::manual:
                world_->stt_held.push_back(text);
                break;
            case Mode::fail:
                sink_->on_error(Error{Errc::io, "fake stt failure"});
                break;
            case Mode::hang:
            case Mode::refuse:
                break;
        }
    }

  private:
    std::shared_ptr<FakeWorld> world_;
    std::shared_ptr<providers::SttSink> sink_;
    bool cancelled_ = false;
};

class FakeStt final : public providers::SttProvider {
  public:
    explicit FakeStt(std::shared_ptr<FakeWorld> w) : world_(std::move(w)) {}
    std::string_view name() const override { return "fake-stt"; }
    std::uint32_t sample_rate_hz() const override { return world_->stt_rate_hz; }
    Result<std::unique_ptr<providers::SttStream>> open(
        const providers::SttOptions& options, std::shared_ptr<providers::SttSink> sink) override {
        if (world_->stt_mode == Mode::refuse) return Error{Errc::io, "fake stt refuses"};
        world_->stt_options = options;
        ++world_->stt_opened;
        world_->stt_sinks.push_back(sink);
        return std::unique_ptr<providers::SttStream>(new FakeSttStream(world_, std::move(sink)));
    }

  private:
    std::shared_ptr<FakeWorld> world_;
};

class FakeLlm final : public providers::LlmProvider {
  public:
    explicit FakeLlm(std::shared_ptr<FakeWorld> w) : world_(std::move(w)) {}
    std::string_view name() const override { return "fake-llm"; }
    bool replies_at_once() const override { return world_->llm_at_once; }
    Result<std::unique_ptr<providers::Request>> start(
        const providers::LlmRequest& req, std::shared_ptr<providers::LlmSink> sink) override {
        auto& w = *world_;
        w.llm_requests.push_back(req);
        Mode mode = w.llm_mode;
        if (w.llm_fail_count > 0) {
            --w.llm_fail_count;
            mode = Mode::fail;
        }
        if (mode == Mode::refuse) return Error{Errc::io, "fake llm refuses"};
        auto handle = std::make_unique<FakeRequest>(world_, &FakeWorld::llm_cancelled);
        auto steps = w.script ? w.script(req) : FakeWorld::words(w.reply);
        switch (mode) {
            case Mode::sync:
                for (const auto& s : steps) {
                    if (s.action)
                        sink->on_action(*s.action);
                    else
                        sink->on_token(s.token);
                }
                sink->on_done();
                break;
            case Mode::manual:
                w.llm_held.push_back({sink, std::move(steps), 0});
                break;
            case Mode::fail:
                sink->on_error(Error{Errc::io, "fake llm: 500"});
                break;
            case Mode::hang:
                w.llm_held.push_back({sink, std::move(steps), 0});  // for late callbacks
                break;
            case Mode::refuse:
                break;
        }
        return std::unique_ptr<providers::Request>(std::move(handle));
    }

  private:
    std::shared_ptr<FakeWorld> world_;
};

class FakeTts final : public providers::TtsProvider {
  public:
    explicit FakeTts(std::shared_ptr<FakeWorld> w, std::string name = "fake-tts")
        : world_(std::move(w)), name_(std::move(name)) {}
    std::string_view name() const override { return name_; }
    Result<std::unique_ptr<providers::Request>> synthesize(
        const providers::TtsRequest& req, std::shared_ptr<providers::TtsSink> sink) override {
        auto& w = *world_;
        w.tts_texts.push_back(name_ + ":" + req.text);
        const Mode mode = w.tts_mode_for ? w.tts_mode_for(req.text) : w.tts_mode;
        if (mode == Mode::refuse) return Error{Errc::io, "fake tts refuses"};
        auto handle = std::make_unique<FakeRequest>(world_, &FakeWorld::tts_cancelled);
        switch (mode) {
            case Mode::sync:
                w.deliver_tts(*sink, req.text);
                break;
            case Mode::manual:
            case Mode::hang:
                w.tts_held.push_back({sink, req.text});
                break;
            case Mode::fail:
                sink->on_error(Error{Errc::io, "fake tts: 503"});
                break;
            case Mode::refuse:
                break;
        }
        return std::unique_ptr<providers::Request>(std::move(handle));
    }

  private:
    std::shared_ptr<FakeWorld> world_;
    std::string name_;
};

// ---- the media server and the caller -----------------------------------------------------

struct Sent {
    std::int64_t at_us = 0;
    std::string kind;  // "audio", "break", "digits", "transfer", "play", "close", "other"
    std::string text;  // the JSON (or the close reason)
    std::size_t samples = 0;
    std::uint32_t rate = 0;
    double dbfs = -120.0;
};

inline double level_dbfs(std::span<const std::int16_t> s) {
    if (s.empty()) return -120.0;
    double sum = 0;
    for (auto v : s) sum += double(v) * double(v);
    const double rms = std::sqrt(sum / double(s.size())) / 32768.0;
    return rms <= 1e-6 ? -120.0 : 20 * std::log10(rms);
}

class Sim {
  public:
    static constexpr std::int64_t kFrameUs = 20000;

    Sim(CallConfig cfg, std::shared_ptr<FakeWorld> w = std::make_shared<FakeWorld>(),
        std::uint32_t stream_rate = 8000, bool separate_fallback_tts = false)
        : world(std::move(w)), rate(stream_rate) {
        cfg.decoder.default_sample_rate_hz = stream_rate;
        Providers p;
        p.stt = std::make_shared<FakeStt>(world);
        p.llm = std::make_shared<FakeLlm>(world);
        p.tts = std::make_shared<FakeTts>(world);
        if (separate_fallback_tts) p.fallback_tts = std::make_shared<FakeTts>(world, "fallback");
        auto r = Call::create(std::move(cfg), std::move(p), [this] { ++wakes; });
        REQUIRE(r.ok());
        call = std::move(r.value());
    }

    std::shared_ptr<FakeWorld> world;
    std::unique_ptr<Call> call;
    std::uint32_t rate;
    std::int64_t now = 1'000'000;  // a host clock that does not start at 0
    int wakes = 0;
    std::vector<Sent> sent;
    std::vector<TurnMetrics> finished;
    double echo_db = -120.0;           // the echo of the bot's audio in the caller's channel (dB)
    std::deque<std::int16_t> playing;  // the media server's queue of bot audio
    std::uint32_t echo_delay_ms = 0;   // the echo comes back this much after it played
    std::deque<double> echo_line;      // played audio on its way back (echo_delay_ms long)
    std::uint32_t noise_seed = 12345;
    std::size_t unplayed_at_break = 0;  // bot samples the latest break dropped
    char key_tone = 0;                  // a DTMF key whose tones are mixed into the caller's frames
    double key_tone_dbfs = -10;         // each tone's peak level
    std::uint64_t tone_pos = 0;         // samples of tone so far (the sines run on across frames)

    // Runs timers up to `t` (poll at every wakeup), then sets now = t.
    void advance_to(std::int64_t t) {
        for (int guard = 0; guard < 100000; ++guard) {
            const std::int64_t w = call->next_wakeup_us();
            if (w > t) break;
            now = std::max(now, w);
            call->poll(now);
            collect();
            if (call->next_wakeup_us() <= w && w >= now && guard > 1000) {
                FAIL("next_wakeup_us() does not advance");
            }
        }
        now = std::max(now, t);
    }

    void collect() {
        Output o;
        while (call->next_output(o)) record(o);
        TurnMetrics t;
        while (call->next_finished_turn(t)) finished.push_back(t);
    }

    void record(const Output& o) {
        Sent s;
        s.at_us = now;
        s.text = o.data;
        if (o.kind == OutputKind::close) {
            s.kind = "close";
        } else if (o.data.find("\"streamAudio\"") != std::string::npos) {
            s.kind = "audio";
            const auto rp = o.data.find("\"sampleRate\":");
            s.rate = static_cast<std::uint32_t>(std::stoul(o.data.substr(rp + 13)));
            const auto dp = o.data.find("\"audioData\":\"") + 13;
            const auto de = o.data.find('"', dp);
            std::vector<std::uint8_t> bytes;
            REQUIRE(base64::decode(std::string_view(o.data).substr(dp, de - dp), bytes));
            std::vector<std::int16_t> pcm(bytes.size() / 2);
            for (std::size_t i = 0; i < pcm.size(); ++i)
                pcm[i] = static_cast<std::int16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
            s.samples = pcm.size();
            s.dbfs = level_dbfs(pcm);
            playing.insert(playing.end(), pcm.begin(), pcm.end());
        } else if (o.data == R"({"event":"break"})") {
            s.kind = "break";
            unplayed_at_break = playing.size();
            playing.clear();
        } else if (o.data.find(R"("event":"digits")") != std::string::npos) {
            s.kind = "digits";
        } else if (o.data.find(R"("event":"transfer")") != std::string::npos) {
            s.kind = "transfer";
        } else if (o.data.find(R"("event":"play")") != std::string::npos) {
            s.kind = "play";
        } else {
            s.kind = "other";
        }
        sent.push_back(std::move(s));
    }

    // One 20 ms frame from the caller: `caller_dbfs` of noise-like speech (-120 = quiet room at
    // -70 dBFS), plus the echo of the bot audio playing during this frame.
    void frame(double caller_dbfs) {
        advance_to(now + kFrameUs);
        const std::size_t n = rate / 50;
        std::vector<std::int16_t> pcm(n);
        const double level = caller_dbfs <= -100 ? -70.0 : caller_dbfs;
        const double amp = 32767.0 * std::pow(10.0, level / 20.0) * std::sqrt(3.0);
        const double echo_gain = std::pow(10.0, echo_db / 20.0);
        for (std::size_t i = 0; i < n; ++i) {
            noise_seed = noise_seed * 1664525u + 1013904223u;
            const double u = (static_cast<double>(noise_seed >> 8) / 16777216.0) * 2.0 - 1.0;
            double v = amp * u;
            if (key_tone != 0) {
                float row = 0, col = 0;
                REQUIRE(audio::dtmf_frequencies(key_tone, row, col));
                const double peak = 32767.0 * std::pow(10.0, key_tone_dbfs / 20.0);
                const double t = static_cast<double>(tone_pos++) / rate;
                v += peak * (std::sin(2.0 * M_PI * row * t) + std::sin(2.0 * M_PI * col * t));
            }
            double played = 0;
            if (!playing.empty()) {
                played = playing.front();
                playing.pop_front();
            }
            echo_line.push_back(played);
            if (echo_line.size() > std::size_t{rate} * echo_delay_ms / 1000) {
                v += echo_gain * echo_line.front();
                echo_line.pop_front();
            }
            pcm[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
        }
        std::vector<std::uint8_t> bytes(n * 2);
        for (std::size_t i = 0; i < n; ++i) {
            bytes[2 * i] = static_cast<std::uint8_t>(pcm[i] & 0xff);
            bytes[2 * i + 1] = static_cast<std::uint8_t>((pcm[i] >> 8) & 0xff);
        }
        call->on_message(bytes, true, now);
        collect();
    }
    // A provider result arrived (the waker ran): the host polls at once.
    void poll_now() {
        call->poll(now);
        collect();
    }
    void silence(int ms) {
        for (int t = 0; t < ms; t += 20) frame(-120);
    }
    void speak(int ms, double dbfs = -20.0) {
        for (int t = 0; t < ms; t += 20) frame(dbfs);
    }
    void text(std::string_view json) {
        advance_to(now);
        call->on_text(json, now);
        collect();
    }
    // Silence until `pred` holds (checked after every frame), at most `max_ms`.
    template <class Pred>
    bool silence_until(Pred pred, int max_ms) {
        for (int t = 0; t < max_ms; t += 20) {
            if (pred()) return true;
            frame(-120);
        }
        return pred();
    }

    std::vector<const Sent*> of_kind(std::string_view kind) const {
        std::vector<const Sent*> out;
        for (const auto& s : sent)
            if (s.kind == kind) out.push_back(&s);
        return out;
    }
    std::size_t count(std::string_view kind) const { return of_kind(kind).size(); }
};

inline CallConfig basic_config() {
    CallConfig cfg;
    cfg.greeting = "Hello, how can I help?";
    cfg.fallback = "Sorry, could you say that again?";
    cfg.system_prompt = "You are a bakery.";
    return cfg;
}

}  // namespace rob_test
