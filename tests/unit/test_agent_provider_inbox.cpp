#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "agent/provider_inbox.hpp"

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

TEST_CASE("agent: inbox passes shared tts audio by reference and lets it go once processed") {
    auto inbox = std::make_shared<ProviderInbox>([] {});
    InboxTtsSink tts(inbox, 3);
    auto cached =
        std::make_shared<const std::vector<std::int16_t>>(std::vector<std::int16_t>{4, 5});
    tts.on_shared_audio(cached, *cached, 8000);
    std::vector<InboxEvent> out;
    REQUIRE(inbox->drain(out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == InboxEventKind::tts_audio);
    CHECK(out[0].samples.empty());
    CHECK(out[0].shared_samples.data() == cached->data());
    CHECK(out[0].sample_rate_hz == 8000);
    CHECK(cached.use_count() == 2);
    inbox->recycle(out);
    CHECK(cached.use_count() == 1);  // the call keeps no reference after the event
}

TEST_CASE("agent: inbox lets a burst's event array go once it is processed") {
    auto inbox = std::make_shared<ProviderInbox>([] {});
    InboxTtsSink tts(inbox, 3);
    auto cached = std::make_shared<const std::vector<std::int16_t>>(std::vector<std::int16_t>(64));
    for (int i = 0; i < 60; ++i) tts.on_shared_audio(cached, *cached, 8000);  // a greeting
    std::vector<InboxEvent> out;
    REQUIRE(inbox->drain(out));
    CHECK(out.size() == 60);
    inbox->recycle(out);
    CHECK(out.capacity() == 0);
    // The queue holds the previous (small) array: the next batch allocates no burst's worth.
    tts.on_shared_audio(cached, *cached, 8000);
    REQUIRE(inbox->drain(out));
    CHECK(out.capacity() <= 8);
    inbox->recycle(out);
    CHECK(out.capacity() <= 8);
}
