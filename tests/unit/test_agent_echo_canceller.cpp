#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "agent/echo_canceller.hpp"
#include "alloc_counter.hpp"
#include "echo_path.hpp"

using namespace ringoverbot::agent;

namespace {

constexpr std::int64_t kFrameUs = 20000;

// Plays `bot` from t = 0 in 200 ms chunks sent ahead (as the pacer does), while the caller's
// line (`line`, same timeline) arrives in 20 ms messages; returns the cancelled line.
std::vector<std::int16_t> run(EchoCanceller& aec, std::span<const std::int16_t> bot,
                              std::span<const std::int16_t> line,
                              std::size_t bot_samples = SIZE_MAX) {
    const std::size_t frame = aec.frame_samples(), chunk = frame * 10;
    const std::size_t played = std::min(bot_samples, bot.size());
    std::vector<std::int16_t> out(line.begin(), line.end());
    std::size_t sent = 0;
    for (std::size_t f = 0; (f + 1) * frame <= line.size(); ++f) {
        const std::int64_t now = static_cast<std::int64_t>(f) * kFrameUs;
        while (sent < played && sent < (f + 10) * frame) {  // up to 200 ms ahead
            const std::size_t n = std::min(chunk, played - sent);
            aec.on_sent(static_cast<std::int64_t>(sent / frame) * kFrameUs, bot.subspan(sent, n));
            sent += n;
        }
        aec.on_caller_audio(now + kFrameUs, frame);  // arrives when its 20 ms are complete
        aec.process(std::span<std::int16_t>(out).subspan(f * frame, frame));
    }
    return out;
}

}  // namespace

TEST_CASE("agent: the echo canceller removes the bot's echo from the caller's line") {
    for (std::uint32_t delay : {50u, 250u}) {
        CAPTURE(delay);
        auto aec = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
        REQUIRE(aec);
        const auto bot = rob_test::speech_like(8000 * 8, 8000, 1, -20);
        rob_test::EchoPath path{.rate_hz = 8000, .delay_ms = delay, .return_loss_db = 6};
        const auto echo = path.echo_of(bot);
        const auto line = path.line(echo, {});
        const auto out = run(*aec.value(), bot, line);
        // Converged after a few seconds: the echo is at least 15 dB weaker than it came in.
        CHECK(rob_test::erle_db(echo, out, {}, 8000 * 4, 8000 * 8) > 15.0);
        CHECK(aec.value()->cancelled_frames() > 0);
    }
}

TEST_CASE("agent: the echo canceller reports what it takes off the echo once converged") {
    const std::size_t n = 8000 * 6;
    const auto bot = rob_test::speech_like(n, 8000, 1, -20);
    rob_test::EchoPath path{.rate_hz = 8000, .delay_ms = 150, .return_loss_db = 6};
    const auto echo = path.echo_of(bot);
    SUBCASE("echo alone: nothing at first, then about the ERLE") {
        auto aec = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
        REQUIRE(aec);
        const auto line = path.line(echo, {});
        run(*aec.value(), bot, std::span<const std::int16_t>(line).first(8000 / 5));
        CHECK(aec.value()->echo_reduction_db() == 0.0);  // 200 ms: not converged
        auto aec2 = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
        const auto out = run(*aec2.value(), bot, line);
        const double erle = rob_test::erle_db(echo, out, {}, 8000 * 4, n);
        CHECK(aec2.value()->echo_reduction_db() > 6.0);
        CHECK(aec2.value()->echo_reduction_db() <= erle + 3.0);  // a low percentile
    }
    SUBCASE("a caller on a line without echo: nothing is counted") {
        auto aec = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
        REQUIRE(aec);
        const auto near = rob_test::speech_like(n, 8000, 9, -20);
        run(*aec.value(), bot, near);
        CHECK(aec.value()->echo_reduction_db() < 3.0);
    }
}

TEST_CASE("agent: the echo canceller keeps the caller's own speech over the bot's echo") {
    auto aec = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
    REQUIRE(aec);
    const std::size_t n = 8000 * 8;
    const auto bot = rob_test::speech_like(n, 8000, 1, -20);
    auto near = rob_test::speech_like(n, 8000, 9, -26);
    std::fill(near.begin(), near.begin() + 8000 * 5, std::int16_t{0});  // talks from 5 s on
    rob_test::EchoPath path{.rate_hz = 8000, .delay_ms = 120, .return_loss_db = 6};
    const auto echo = path.echo_of(bot);
    const auto out = run(*aec.value(), bot, path.line(echo, near));
    // The caller's speech comes through nearly whole, the echo under it stays reduced.
    double near_e = 0, out_e = 0;
    for (std::size_t i = 8000 * 5; i < n; ++i) {
        near_e += double(near[i]) * near[i];
        out_e += double(out[i]) * out[i];
    }
    CHECK(10 * std::log10(out_e / near_e) > -3.0);
    // Double talk slows the filter's adaptation; what it had learned still takes some off.
    CHECK(rob_test::erle_db(echo, out, near, 8000 * 5, n) > 3.0);
}

TEST_CASE("agent: the echo canceller runs only while there is a reference, and allocates nothing") {
    auto created = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 200});
    REQUIRE(created);
    EchoCanceller& aec = *created.value();
    const auto caller = rob_test::speech_like(8000 * 2, 8000, 3, -20);
    std::vector<std::int16_t> frame(160);
    // A silent bot: the caller's frames pass untouched and the filter never runs.
    for (std::size_t f = 0; f < 50; ++f) {
        aec.on_caller_audio(static_cast<std::int64_t>(f + 1) * kFrameUs, 160);
        std::copy_n(caller.begin() + static_cast<std::ptrdiff_t>(f * 160), 160, frame.begin());
        CHECK_FALSE(aec.process(frame));
        CHECK(std::equal(frame.begin(), frame.end(),
                         caller.begin() + static_cast<std::ptrdiff_t>(f * 160)));
    }
    CHECK(aec.cancelled_frames() == 0);
    // 400 ms of bot audio from t = 1.2 s, cut by a break at 1.4 s: the filter runs from the
    // bot's first frame to one tail (200 ms) after the break, then stops again.
    const auto bot = rob_test::speech_like(3200, 8000, 4, -20);
    aec.on_sent(1'200'000, bot);
    const std::uint64_t before = rob_test_allocations();
    std::array<bool, 50> ran{};
    for (std::size_t f = 50; f < 100; ++f) {
        const std::int64_t now = static_cast<std::int64_t>(f + 1) * kFrameUs;
        if (now == 1'400'000) aec.on_break(now);
        aec.on_caller_audio(now, 160);
        ran[f - 50] = aec.process(frame);
    }
    CHECK(rob_test_allocations() == before);
    // Frame f covers [f*20, f*20+20) ms: the bot plays 1200..1400 ms (frames 60..69), and the
    // filter goes on over the tail (frames 70..79).
    for (std::size_t f = 50; f < 100; ++f) {
        CAPTURE(f);
        CHECK(ran[f - 50] == (f >= 60 && f < 80));
    }
}

TEST_CASE("agent: the echo canceller takes a reference at another rate, and refuses bad settings") {
    CHECK_FALSE(EchoCanceller::create({.line_rate_hz = 8010}));
    CHECK_FALSE(EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 10}));
    auto aec =
        EchoCanceller::create({.line_rate_hz = 8000, .reference_rate_hz = 16000, .tail_ms = 400});
    REQUIRE(aec);
    const auto bot16 = rob_test::speech_like(16000 * 8, 16000, 1, -20);
    std::vector<std::int16_t> bot8(bot16.size() / 2);  // what the 8 kHz line carries of it
    {
        auto down = ringoverbot::audio::Resampler::create(
            16000, 8000, 1, ringoverbot::audio::ResampleQuality::voip);
        REQUIRE(down);
        std::vector<std::int16_t> tmp;
        REQUIRE(down.value().process_append(bot16, tmp));
        std::copy_n(tmp.begin(), std::min(tmp.size(), bot8.size()), bot8.begin());
    }
    rob_test::EchoPath path{.rate_hz = 8000, .delay_ms = 100, .return_loss_db = 6};
    const auto echo = path.echo_of(bot8);
    const auto line = path.line(echo, {});
    EchoCanceller& a = *aec.value();
    std::vector<std::int16_t> out(line);
    std::size_t sent = 0;
    for (std::size_t f = 0; (f + 1) * 160 <= line.size(); ++f) {
        while (sent < bot16.size() && sent < (f + 10) * 320) {
            a.on_sent(static_cast<std::int64_t>(sent / 320) * kFrameUs,
                      std::span<const std::int16_t>(bot16).subspan(sent, 3200));
            sent += 3200;
        }
        a.on_caller_audio(static_cast<std::int64_t>(f + 1) * kFrameUs, 160);
        a.process(std::span<std::int16_t>(out).subspan(f * 160, 160));
    }
    CHECK(rob_test::erle_db(echo, out, {}, 8000 * 4, 8000 * 8) > 12.0);
}

TEST_CASE("agent: the echo canceller holds its filter only around the bot's speech") {
    auto created = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 200});
    REQUIRE(created);
    EchoCanceller& aec = *created.value();
    // A line with its own faint noise (-66 dBFS), as real lines have: not digital silence.
    const auto noise = rob_test::speech_like(160, 8000, 5, -66);
    std::vector<std::int16_t> frame;
    std::size_t f = 0;
    auto step = [&] {
        aec.on_caller_audio(static_cast<std::int64_t>(++f) * kFrameUs, 160);
        frame.assign(noise.begin(), noise.end());
        return aec.process(frame);
    };
    for (int i = 0; i < 25; ++i) CHECK_FALSE(step());
    CHECK_FALSE(aec.filter_allocated());  // a call whose bot has not spoken holds none
    const auto bot = rob_test::speech_like(8000, 8000, 4, -20);  // 1 s from t = 0.6 s
    aec.on_sent(600'000, bot);
    CHECK(aec.filter_allocated());
    std::size_t ran = 0;
    // The bot plays 0.6..1.6 s, the tail runs to 1.8 s; released kReleaseMs after that.
    const std::size_t release_frame = (1'800'000 + EchoCanceller::kReleaseMs * 1000) / kFrameUs;
    while (f < release_frame - 2) ran += step() ? 1 : 0;
    CHECK(ran == 60);               // 1.2 s of frames: the speech and the tail
    CHECK(aec.filter_allocated());  // a caller answering soon keeps the adapted filter
    for (int i = 0; i < 4; ++i) CHECK_FALSE(step());
    CHECK_FALSE(aec.filter_allocated());  // long quiet: given back
    // The next reply allocates it again and is cancelled as before.
    const std::int64_t next = static_cast<std::int64_t>(f + 5) * kFrameUs;
    aec.on_sent(next, bot);
    CHECK(aec.filter_allocated());
    ran = 0;
    for (int i = 0; i < 80; ++i) ran += step() ? 1 : 0;
    CHECK(ran == 60);
}

TEST_CASE(
    "agent: the echo canceller leaves a caller alone who talks over the bot on a line without "
    "echo") {
    // The demo's barge-in: the line returns digital silence while the bot speaks (no echo path),
    // then the caller talks over the bot. A filter that runs there adapts to the caller's voice
    // as if it were echo and takes part of it off ("transfer me to sales" was heard as
    // "transfer me a um"): the caller must reach the VAD and the STT as they spoke.
    auto created = EchoCanceller::create({.line_rate_hz = 8000, .tail_ms = 400});
    REQUIRE(created);
    EchoCanceller& aec = *created.value();
    const std::size_t n = 8000 * 4;
    const auto bot = rob_test::speech_like(n, 8000, 1, -20);
    auto line = rob_test::speech_like(n, 8000, 9, -20);
    std::fill(line.begin(), line.begin() + 8000, std::int16_t{0});  // talks from 1 s on
    const auto out = run(aec, bot, line);
    CHECK(std::equal(out.begin() + 8000, out.end(), line.begin() + 8000));
    CHECK(aec.line_without_echo());
    // The filter ran over the first tail of the bot's speech only (20 frames of 400 ms), then
    // stopped: a silent line was all it had seen.
    CHECK(aec.cancelled_frames() >= 20);
    CHECK(aec.cancelled_frames() < 30);
    // Once the bot was quiet long enough for the filter to be freed, a new one looks afresh.
    std::vector<std::int16_t> frame(160, 0);
    std::size_t f = n / 160;
    auto step = [&] {
        aec.on_caller_audio(static_cast<std::int64_t>(++f) * kFrameUs, 160);
        std::fill(frame.begin(), frame.end(), std::int16_t{0});
        return aec.process(frame);
    };
    while (aec.filter_allocated()) step();
    CHECK_FALSE(aec.line_without_echo());
    const std::uint64_t before = aec.cancelled_frames();
    aec.on_sent(static_cast<std::int64_t>(f) * kFrameUs, std::span(bot).first(1600));
    for (int i = 0; i < 10; ++i) CHECK(step());
    CHECK(aec.cancelled_frames() == before + 10);
}
