// The call engine's own parts: the provider inbox, the echo reference and the reply's audio
// queue, tested alone.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "agent/caller_audio.hpp"
#include "agent/echo_reference.hpp"
#include "agent/provider_inbox.hpp"
#include "agent/reply_audio.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agent;

TEST_CASE("agent: inbox wakes once per batch, drains in order, and goes quiet when closed") {
    int wakes = 0;
    auto inbox = std::make_shared<ProviderInbox>([&wakes] { ++wakes; });
    InboxLlmSink llm(inbox, 7);
    InboxTtsSink tts(inbox, 8);
    std::vector<InboxEvent> out;
    CHECK_FALSE(inbox->drain(out));
    llm.on_token("Hello");
    llm.on_action(providers::Action{providers::ActionKind::digits, "12"});
    const std::int16_t pcm[3] = {1, 2, 3};
    tts.on_audio(pcm, 16000);
    llm.on_error(Error{Errc::io, "boom"});
    CHECK(wakes == 1);  // the host drains everything at once
    REQUIRE(inbox->drain(out));
    REQUIRE(out.size() == 4);
    CHECK(out[0].kind == InboxEventKind::llm_token);
    CHECK(out[0].request == 7);
    CHECK(out[0].text == "Hello");
    CHECK(out[1].action.value == "12");
    CHECK(out[2].request == 8);
    CHECK(out[2].samples == std::vector<std::int16_t>{1, 2, 3});
    CHECK(out[2].sample_rate_hz == 16000);
    CHECK(out[3].error == Errc::io);
    CHECK(out[3].text == "boom");
    // Audio buffers come back for the next chunks.
    const auto* buf = out[2].samples.data();
    inbox->recycle(out);
    tts.on_audio(pcm, 16000);
    CHECK(wakes == 2);
    REQUIRE(inbox->drain(out));
    CHECK(out[0].samples.data() == buf);
    inbox->close();
    llm.on_done();
    CHECK(wakes == 2);
    CHECK_FALSE(inbox->drain(out));
}

TEST_CASE("agent: inbox takes events from many threads, close() is a barrier for the waker") {
    std::atomic<int> wakes{0};
    std::atomic<bool> closed{false};
    std::atomic<int> late_wakes{0};
    auto inbox = std::make_shared<ProviderInbox>([&] {
        wakes.fetch_add(1);
        if (closed.load()) late_wakes.fetch_add(1);
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([inbox, t] {
            InboxLlmSink sink(inbox, static_cast<std::uint64_t>(t));
            for (int i = 0; i < 2000; ++i) sink.on_token("x");
        });
    }
    std::size_t got = 0;
    std::vector<InboxEvent> out;
    while (got < 4000) {
        if (inbox->drain(out)) got += out.size();
        std::this_thread::yield();
    }
    inbox->close();
    closed.store(true);
    for (auto& th : threads) th.join();
    CHECK(got >= 4000);
    CHECK(late_wakes.load() == 0);
    CHECK(wakes.load() >= 1);
}

TEST_CASE("agent: echo reference follows what plays, lingers for the echo window, obeys break") {
    EchoReference echo(8000, 1200, 200);
    CHECK(echo.level_at(0) == EchoReference::kSilenceDbfs);
    std::vector<std::int16_t> loud(8000);  // 1 s at about -9 dBFS
    for (std::size_t i = 0; i < loud.size(); ++i)
        loud[i] = static_cast<std::int16_t>(16000 * std::sin(0.2 * double(i)));
    echo.on_sent(1'000'000, loud);                                 // plays from t = 1 s to 2 s
    CHECK(echo.level_at(999'000) == EchoReference::kSilenceDbfs);  // not playing yet
    CHECK(echo.level_at(1'500'000) == doctest::Approx(-9.2).epsilon(0.05));
    CHECK(echo.level_at(2'150'000) > -20);                           // the echo tail
    CHECK(echo.level_at(2'250'000) == EchoReference::kSilenceDbfs);  // gone
    echo.on_sent(3'000'000, loud);
    echo.on_break(3'100'000);  // what had not played never will
    CHECK(echo.level_at(3'200'000) > -20);
    CHECK(echo.level_at(3'400'000) == EchoReference::kSilenceDbfs);
}

TEST_CASE("agent: reply audio queue keeps positions, compacts, and bounds what waits") {
    ReplyAudio q(1000);
    std::vector<std::int16_t> a(600, 1), b(600, 2);
    CHECK(q.append(a) == 600);
    CHECK(q.append(b) == 400);  // the limit: the rest is dropped
    CHECK(q.full());
    CHECK(q.synthesized() == 1000);
    CHECK(q.peek(3)[0] == 1);
    q.consume(700);
    CHECK(q.sent() == 700);
    CHECK(q.queued_samples() == 300);
    CHECK(q.peek(1)[0] == 2);
    CHECK(q.append(b) == 600);
    CHECK(q.synthesized() == 1600);
    q.consume(900);
    CHECK(q.queued_samples() == 0);
    q.reset();
    CHECK(q.synthesized() == 0);
    CHECK(q.sent() == 0);
}

TEST_CASE("agent: caller audio cuts any message size into 20 ms frames at 16 kHz") {
    CallerAudio in(8000);  // an STT that takes the stream's own 8 kHz
    const streamer::AudioFormat fmt{streamer::Encoding::l16, 8000, 1};
    std::vector<std::int16_t> msg(248, 100);  // 31 ms: frames do not line up with messages
    std::size_t frames = 0, stt = 0;
    for (int i = 0; i < 50; ++i) {
        REQUIRE(in.push(msg, fmt).ok());
        stt += in.stt_samples().size();
        std::span<const std::int16_t> f;
        while (in.next_vad_frame(f)) {
            CHECK(f.size() == CallerAudio::kFrameSamples);
            ++frames;
        }
    }
    CHECK(stt == 50 * 248);  // the STT gets the stream as it is
    // 1.55 s of audio: 77 whole frames, less the resampler's held-back few milliseconds.
    CHECK(frames >= 76);
    CHECK(frames <= 77);
    CHECK(in.vad_ms() == frames * 20);
    CHECK_FALSE(in.push(msg, streamer::AudioFormat{streamer::Encoding::l16, 8000, 0}).ok());
}
