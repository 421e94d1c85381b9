// A call recorded end to end against a virtual clock: the file decodes (opusdec, from Debian's
// opus-tools) to two channels of the call's duration, the caller on the left, the bot on the
// right cut at the barge-in; a failing disk stops the recording and never the call.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "audio/ogg_opus_file.hpp"
#include "net/server/call_recording.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/recording.hpp"
#include "test_agent_fakes.hpp"

using namespace rob_test;
namespace fs = std::filesystem;
using ringoverbot::net::CallRecording;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/rob_recording_XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Decodes with opusdec at `rate` Hz into a WAV next to the file.
ringoverbot::audio::WavAudio decode(const std::string& opus, std::uint32_t rate) {
    const std::string wav = opus + ".wav";
    const std::string cmd =
        "opusdec --quiet --rate " + std::to_string(rate) + " '" + opus + "' '" + wav + "'";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
    auto w = ringoverbot::audio::read_wav_file(wav);
    REQUIRE(w.ok());
    return std::move(w.value());
}

// RMS level (dBFS) of one channel of `w` over [from_s, to_s).
double channel_dbfs(const ringoverbot::audio::WavAudio& w, unsigned ch, double from_s,
                    double to_s) {
    const auto a = static_cast<std::size_t>(from_s * w.sample_rate_hz);
    const auto b = std::min(w.frames(), static_cast<std::size_t>(to_s * w.sample_rate_hz));
    double sum = 0;
    for (std::size_t i = a; i < b; ++i) {
        const double v = w.samples[i * w.channels + ch];
        sum += v * v;
    }
    const double rms = b > a ? std::sqrt(sum / double(b - a)) / 32768.0 : 0;
    return rms <= 1e-6 ? -120.0 : 20 * std::log10(rms);
}

// The Sim's frames, with the host's pump after each (as the server does after every message).
struct RecordedSim {
    Sim sim;
    std::shared_ptr<CallRecording> rec;
    std::int64_t start;
    int failures = 0;

    RecordedSim(const std::string& dir) : sim(basic_config()), start(sim.now) {
        rec = std::make_shared<CallRecording>(dir, start, 1767258000);  // 2026-01-01T09:00:00Z
        sim.call->set_audio_tap(rec);
    }
    void pump() {
        if (!rec->pump(sim.now, "8812004471932250113")) ++failures;
    }
    void frames(int ms, double dbfs) {
        for (int t = 0; t < ms; t += 20) {
            sim.frame(dbfs);
            pump();
        }
    }
    template <class Pred>
    bool quiet_until(Pred pred, int max_ms) {
        for (int t = 0; t < max_ms; t += 20) {
            if (pred()) return true;
            frames(20, -120);
        }
        return pred();
    }
};

}  // namespace

TEST_CASE("recording: file name from the call id and the start time (UTC), sanitized") {
    using ringoverbot::recording::file_path;
    using ringoverbot::recording::file_stem;
    CHECK(file_stem("8812004471932250113", 1767258000) == "8812004471932250113-20260101T090000Z");
    CHECK(file_stem("../etc/pass wd", 0) == "_._etc_pass_wd-19700101T000000Z");
    CHECK(file_stem(".hidden", 0) == "_hidden-19700101T000000Z");
    CHECK(file_stem("", 0) == "call-19700101T000000Z");
    CHECK(file_stem(std::string(100, 'a'), 0).size() == 64 + 17);
    CHECK(file_path("/rec", "42", 0, ".svg") == "/rec/42-19700101T000000Z.svg");
    CHECK(file_path("/rec/", "42", 0, ".opus") == "/rec/42-19700101T000000Z.opus");
}

TEST_CASE("recording: stereo Ogg Opus, caller left, bot right cut at the barge-in, call's length") {
    TempDir dir;
    RecordedSim r(dir.path.string());
    Sim& sim = r.sim;
    // The greeting plays out, then a question and its reply.
    REQUIRE(r.quiet_until([&] { return !sim.finished.empty(); }, 4000));
    const std::size_t done = sim.finished.size();
    sim.world->transcripts.push_back("when are you open");
    r.frames(600, -20.0);
    REQUIRE(r.quiet_until(
        [&] {
            const auto& turns = sim.call->turns();
            return turns.size() > done && turns.back().first_frame_us >= 0;
        },
        3000));
    const std::size_t idx = sim.call->turns().size() - 1;
    r.frames(1000, -120);  // a second of the reply plays
    // The caller barges in, loud.
    std::int64_t decided = -1;
    for (int i = 0; i < 20 && decided < 0; ++i) {
        r.frames(20, -10.0);
        if (sim.count("break") > 0) decided = sim.now;
    }
    REQUIRE(decided > 0);
    r.frames(300, -10.0);
    r.frames(1000, -120);
    sim.call->on_closed("hangup", sim.now);
    const std::int64_t end = sim.now;
    REQUIRE(r.rec->finish(end, "8812004471932250113"));
    CHECK(r.failures == 0);
    const std::string path = r.rec->path();
    CHECK(fs::path(path).filename() == "8812004471932250113-20260101T090000Z.opus");

    const auto w = decode(path, 8000);
    CHECK(w.channels == 2);
    const double duration = double(w.frames()) / w.sample_rate_hz;
    const double call_s = double(end - r.start) / 1e6;
    CHECK(std::fabs(duration - call_s) <= 0.1);

    const TurnMetrics t = sim.call->turns().at(idx);
    const auto s = [&](std::int64_t us) { return double(us - r.start) / 1e6; };
    REQUIRE(t.first_frame_us > 0);
    // The reply plays on the right; the caller is quiet on the left meanwhile.
    CHECK(channel_dbfs(w, 1, s(t.first_frame_us) + 0.1, s(decided) - 0.1) > -30.0);
    CHECK(channel_dbfs(w, 0, s(t.first_frame_us) + 0.1, s(decided) - 0.3) < -50.0);
    // From the break on the right is silent (a codec tail aside) until the next reply; the
    // caller is loud.
    std::int64_t next_audio = -1;
    for (const Sent* a : sim.of_kind("audio"))
        if (a->at_us > decided && next_audio < 0) next_audio = a->at_us;
    REQUIRE(next_audio > decided + 300'000);
    CHECK(channel_dbfs(w, 1, s(decided) + 0.06, s(next_audio) - 0.02) < -50.0);
    CHECK(channel_dbfs(w, 0, s(decided) - 0.15, s(decided) + 0.3) > -20.0);
    // The next reply (the fallback: the barge-in's words were not understood) plays there.
    CHECK(channel_dbfs(w, 1, s(next_audio) + 0.05, std::min(s(next_audio) + 0.4, call_s)) > -30.0);
    // At the end the caller is quiet on the left.
    CHECK(channel_dbfs(w, 0, call_s - 0.4, call_s) < -50.0);
}

TEST_CASE("recording: a failing disk stops the recording, never the call") {
    // Writes that fail (ENOSPC) are reported once, then ignored.
    ringoverbot::audio::OggOpusOptions o;
    o.rate_hz = 8000;
    auto f = ringoverbot::audio::OggOpusFile::create("/dev/full", o);
    REQUIRE(f.ok());
    std::vector<std::int16_t> second(2 * 8000, 1000);
    ringoverbot::Status st;
    for (int i = 0; i < 5 && st; ++i) st = f->write(second);
    CHECK_FALSE(st);
    CHECK(st.code() == ringoverbot::Errc::io);
    CHECK(f->failed());
    CHECK_FALSE(f->finish());

    // A recording folder that went away: the call goes on to its end.
    TempDir dir;
    const std::string gone = (dir.path / "gone").string();
    fs::create_directory(gone);
    RecordedSim r(gone);
    fs::remove(gone);
    REQUIRE(r.quiet_until([&] { return !r.sim.finished.empty(); }, 4000));
    CHECK(r.failures == 1);  // reported once
    CHECK_FALSE(r.rec->active());
    r.frames(500, -120);
    CHECK(r.failures == 1);
    CHECK_FALSE(r.sim.call->ended());
    r.sim.call->on_closed("hangup", r.sim.now);
    CHECK(r.rec->finish(r.sim.now, "1"));  // nothing more to report
}

TEST_CASE("recording: a file finished before any audio is still a valid Ogg Opus file") {
    TempDir dir;
    const std::string path = (dir.path / "empty.opus").string();
    ringoverbot::audio::OggOpusOptions o;
    o.rate_hz = 8000;
    {
        auto f = ringoverbot::audio::OggOpusFile::create(path, o);
        REQUIRE(f.ok());
        CHECK(f->finish());
    }
    const auto w = decode(path, 8000);
    CHECK(w.channels == 2);
    CHECK(w.frames() <= 160);
}

TEST_CASE("recording: through the encoder threads, finished when they stop, failures counted") {
    TempDir dir;
    std::atomic<int> ok{0}, failed{0};
    const ringoverbot::streamer::AudioFormat line{};  // L16 8 kHz mono
    // Square waves near 440 Hz (a constant would be DC, which Opus drops).
    const auto square = [](std::size_t n, std::int16_t amp) {
        std::vector<std::int16_t> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = (i / 9) % 2 ? amp : static_cast<std::int16_t>(-amp);
        return v;
    };
    const std::vector<std::int16_t> frame = square(160, 3000);
    std::string path;
    {
        ringoverbot::net::RecordingEncoder encoder(
            2, [&](const ringoverbot::net::EncodedFile&, bool good) { ++(good ? ok : failed); });
        CallRecording rec(dir.path.string(), 0, 0, &encoder, 7);
        std::int64_t now = 0;
        for (int i = 0; i < 150; ++i) {  // 3 s of the caller
            now += 20000;
            rec.caller_audio(frame, line, now);
            if (i == 50) rec.bot_audio(square(8000, 3000), 8000, now);
            REQUIRE(rec.pump(now, "enc"));
        }
        REQUIRE(rec.finish(now, "enc"));
        path = rec.path();
        // A folder that is gone: the encoder thread fails to create the file.
        CallRecording lost((dir.path / "gone").string(), 0, 0, &encoder, 8);
        lost.caller_audio(frame, line, 20000);
        for (int i = 0; i < 30; ++i) (void)lost.pump(20000 + i * 20000, "lost");
        (void)lost.finish(700000, "lost");
    }  // the encoder finishes every queued file before it is destroyed
    CHECK(ok == 1);
    CHECK(failed == 1);
    const auto w = decode(path, 8000);
    CHECK(w.channels == 2);
    CHECK(std::fabs(double(w.frames()) / 8000 - 3.0) <= 0.1);
    CHECK(channel_dbfs(w, 0, 0.2, 2.8) > -30.0);
    CHECK(channel_dbfs(w, 1, 1.1, 1.9) > -30.0);  // the bot's second, from 1.02 s
    // After it the right falls back to what Opus's joint stereo lets through of the left's
    // square wave (about 20 dB down at 32 kbit/s; speech-like noise leaks less, see above).
    CHECK(channel_dbfs(w, 1, 2.2, 2.9) < channel_dbfs(w, 1, 1.1, 1.9) - 15.0);
}
