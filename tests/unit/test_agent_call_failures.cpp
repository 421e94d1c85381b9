// Failing and slow providers, a caller hanging up mid-reply and hostile input, replayed against
// a virtual clock: the call says the fallback, counts the failure and goes on; it ends once and
// leaves nothing behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

CallConfig no_greeting() {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    return cfg;
}

// Asks a question and waits until the turn it opened has finished.
TurnMetrics turn_of(Sim& sim, const std::string& question, int max_ms = 15000) {
    sim.world->transcripts.push_back(question);
    const std::size_t before = sim.finished.size();
    sim.speak(500);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() > before; }, max_ms));
    return sim.finished.back();
}

bool said(const Sim& sim, const std::string& who_text) {
    const auto& t = sim.world->tts_texts;
    return std::find(t.begin(), t.end(), who_text) != t.end();
}

}  // namespace

TEST_CASE("agent: an STT error says the fallback and the next turn works") {
    Sim sim(no_greeting(), std::make_shared<FakeWorld>(), 8000, true);
    sim.silence(100);
    sim.world->stt_fail_once = true;
    const TurnMetrics t = turn_of(sim, "unused");
    CHECK(t.failed);
    CHECK(t.bot_text == "Sorry, could you say that again?");
    CHECK(t.heard_text == "Sorry, could you say that again?");
    CHECK(said(sim, "fallback:Sorry, could you say that again?"));
    CHECK(sim.call->stats().stt_errors == 1);
    CHECK(sim.call->stats().fallbacks == 1);
    CHECK(sim.world->llm_requests.empty());
    sim.silence(1000);  // the stream is reopened (after its back-off)
    CHECK(sim.world->stt_opened == 2);
    const TurnMetrics t2 = turn_of(sim, "when are you open");
    CHECK_FALSE(t2.failed);
    CHECK(t2.caller_text == "when are you open");
    CHECK(t2.heard_text == sim.world->reply);
}

TEST_CASE("agent: an STT that never answers times out") {
    CallConfig cfg = no_greeting();
    cfg.stt_timeout_ms = 1500;
    Sim sim(cfg);
    sim.world->stt_mode = Mode::hang;
    sim.silence(100);
    sim.world->transcripts.push_back("lost words");
    sim.speak(500);
    const std::int64_t spoke = sim.now;
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 5000));
    const TurnMetrics t = sim.finished[0];
    CHECK(t.failed);
    CHECK(t.stt_final_us == -1);
    CHECK(sim.call->stats().timeouts == 1);
    CHECK(sim.call->stats().stt_errors == 1);
    // The fallback started when the deadline passed: 500 ms endpointing + 1.5 s.
    CHECK(t.first_frame_us - spoke >= 2'000'000);
    CHECK(t.first_frame_us - spoke <= 2'060'000);
    // A late final of the abandoned stream is not answered.
    REQUIRE(sim.world->stt_sinks.size() >= 1);
    sim.world->stt_sinks.front()->on_transcript("too late", true, 1.0);
    sim.poll_now();
    sim.silence(2000);
    CHECK(sim.world->llm_requests.empty());
}

TEST_CASE("agent: LLM failures say the fallback, counted, and the call goes on") {
    CallConfig cfg = no_greeting();
    cfg.llm_first_token_timeout_ms = 1000;
    cfg.llm_total_timeout_ms = 3000;
    Sim sim(cfg);
    sim.silence(100);

    SUBCASE("an error") {
        sim.world->llm_fail_count = 1;
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.heard_text == cfg.fallback);
        CHECK(sim.call->stats().llm_errors == 1);
        CHECK(sim.call->stats().timeouts == 0);
    }
    SUBCASE("refused at start") {
        sim.world->llm_mode = Mode::refuse;
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.heard_text == cfg.fallback);
        CHECK(sim.call->stats().llm_errors == 1);
        sim.world->llm_mode = Mode::sync;
    }
    SUBCASE("no first token in time") {
        sim.world->llm_mode = Mode::hang;
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.first_token_us == -1);
        CHECK(t.first_audio_us - t.stt_final_us >= 1'000'000);
        CHECK(t.first_audio_us - t.stt_final_us <= 1'000'000 + 20'000);
        CHECK(sim.call->stats().llm_errors == 1);
        CHECK(sim.call->stats().timeouts == 1);
        CHECK(sim.world->llm_cancelled == 1);
        sim.world->llm_mode = Mode::sync;
    }
    SUBCASE("a stream that starts and stalls: the words so far play, then the fallback") {
        sim.world->llm_mode = Mode::manual;
        sim.world->transcripts.push_back("hello");
        sim.speak(500);
        sim.silence(600);
        REQUIRE(sim.world->llm_held.size() == 1);
        for (int i = 0; i < 7; ++i) sim.world->release_llm_step();  // "We are open ... six."
        sim.world->release_llm_step();                              // "Come"
        sim.poll_now();
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 8000));
        const TurnMetrics t = sim.finished[0];
        CHECK(t.failed);
        CHECK(t.heard_text == "We are open from eight to six. " + cfg.fallback);
        CHECK(sim.call->stats().timeouts == 1);
        sim.world->llm_mode = Mode::sync;
    }
    CHECK(sim.call->stats().fallbacks == 1);
    const TurnMetrics t2 = turn_of(sim, "and now?");
    CHECK_FALSE(t2.failed);
    CHECK(t2.heard_text == sim.world->reply);
}

TEST_CASE("agent: TTS failures fall back to the fallback voice, its failure ends the turn") {
    CallConfig cfg = no_greeting();
    cfg.tts_first_audio_timeout_ms = 800;
    Sim sim(cfg, std::make_shared<FakeWorld>(), 8000, true);
    sim.silence(100);
    SUBCASE("an error") {
        sim.world->tts_mode_for = [](const std::string& text) {
            return text.rfind("Sorry", 0) == 0 ? Mode::sync : Mode::fail;
        };
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.heard_text == cfg.fallback);
        CHECK(said(sim, "fallback:" + cfg.fallback));
        CHECK(sim.call->stats().tts_errors == 1);
    }
    SUBCASE("a synthesis that hangs") {
        sim.world->tts_mode_for = [](const std::string& text) {
            return text.rfind("Sorry", 0) == 0 ? Mode::sync : Mode::hang;
        };
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.first_frame_us - t.first_token_us >= 800'000);
        CHECK(sim.call->stats().tts_errors == 1);
        CHECK(sim.call->stats().timeouts == 1);
        CHECK(sim.world->tts_cancelled >= 1);
    }
    SUBCASE("the fallback voice fails too: the turn ends in silence, the call goes on") {
        sim.world->tts_mode = Mode::fail;
        const TurnMetrics t = turn_of(sim, "hello");
        CHECK(t.failed);
        CHECK(t.heard_text.empty());
        CHECK(t.first_frame_us == -1);
        CHECK(sim.call->stats().tts_errors == 2);
    }
    sim.world->tts_mode_for = nullptr;
    sim.world->tts_mode = Mode::sync;
    const TurnMetrics t2 = turn_of(sim, "again");
    CHECK_FALSE(t2.failed);
    CHECK(t2.heard_text == sim.world->reply);
}

TEST_CASE("agent: the caller hangs up mid-reply: one end, everything cancelled, nothing leaks") {
    auto world = std::make_shared<FakeWorld>();
    std::weak_ptr<FakeWorld> weak = world;
    {
        Sim sim(basic_config(), world);
        sim.world->transcripts.push_back("tell me everything");
        sim.world->reply =
            "We bake bread every morning. We also make cakes to order. Our shop opens at eight.";
        sim.world->tts_mode_for = [](const std::string& text) {
            return text.rfind("Our shop", 0) == 0 ? Mode::hang : Mode::sync;
        };
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
        sim.speak(500);
        REQUIRE(sim.silence_until([&] { return sim.call->turns().size() == 2; }, 2000));
        sim.silence(1500);
        CHECK(world->tts_held.size() == 1);  // the last sentence is still being synthesized
        CHECK(world->requests_alive >= 2);   // the STT stream and that synthesis

        SUBCASE("call_end event") {
            sim.text(R"({"event":"call_end","reason":"hangup"})");
            CHECK(sim.call->ended());
            CHECK(sim.call->end_reason() == "hangup");
            CHECK(sim.count("close") == 1);
            CHECK(sim.call->finished());
        }
        SUBCASE("the socket drops") {
            sim.call->on_closed("", sim.now);
            sim.collect();
            CHECK(sim.call->ended());
            CHECK(sim.call->end_reason() == "close");
            CHECK(sim.count("close") == 0);  // nothing to send on a closed socket
            CHECK(sim.call->finished());
        }
        // Everything in flight was cancelled and released at once.
        CHECK(world->requests_alive == 0);
        CHECK(world->stt_cancelled == 1);
        CHECK(world->tts_cancelled >= 1);
        const TurnMetrics t = sim.call->turns().at(1);
        CHECK_FALSE(t.interrupted);
        CHECK_FALSE(t.heard_text.empty());
        CHECK(t.bot_text.rfind(t.heard_text, 0) == 0);
        CHECK(t.heard_text.size() < t.bot_text.size());
        CHECK(t.playout_end_us == sim.now);
        REQUIRE(sim.finished.size() == 2);  // the cut reply is reported, once

        // A second end of any kind changes nothing.
        const auto reason = std::string(sim.call->end_reason());
        const std::size_t n = sim.sent.size();
        sim.text(R"({"event":"call_end","reason":"other"})");
        sim.call->on_closed("again", sim.now);
        sim.poll_now();
        CHECK(sim.call->end_reason() == reason);
        CHECK(sim.sent.size() == n);
        CHECK(sim.finished.size() == 2);
        CHECK(sim.call->next_wakeup_us() == Call::kNever);

        // Late results after the end are dropped and wake nobody.
        const int wakes = sim.wakes;
        world->release_tts(0);
        sim.poll_now();
        CHECK(sim.wakes == wakes);
        CHECK(sim.sent.size() == n);
    }
    // The call is gone; the providers' sinks (held by the fake world) still work and the
    // inbox they keep alive drops what they say.
    world->release_tts(0);
    world->release_llm_all(0);
    for (auto& s : world->stt_sinks) s->on_transcript("hello?", true, 1.0);
    CHECK(world->requests_alive == 0);
    world->stt_sinks.clear();
    world->tts_held.clear();
    world->llm_held.clear();
    world.reset();
    CHECK(weak.expired());  // no cycle kept the fakes (or the inbox) alive
}

TEST_CASE("agent: a provider answering from another thread wakes the host, the Call may go first") {
    CallConfig cfg = no_greeting();
    auto world = std::make_shared<FakeWorld>();
    world->llm_mode = Mode::manual;
    std::atomic<int> wakes{0};
    Providers p;
    p.stt = std::make_shared<FakeStt>(world);
    p.llm = std::make_shared<FakeLlm>(world);
    p.tts = std::make_shared<FakeTts>(world);
    auto created = Call::create(cfg, p, [&wakes] { wakes.fetch_add(1); });
    REQUIRE(created.ok());
    std::unique_ptr<Call> call = std::move(created.value());
    // Drive one turn by hand: the LLM request is then held by the fake.
    Sim driver(cfg, world);  // only for its frame generator: replace its call with ours
    driver.call = std::move(call);
    driver.world->transcripts.push_back("hi");
    driver.silence(100);
    driver.speak(400);
    driver.silence(600);
    REQUIRE(world->llm_held.size() == 1);
    auto sink = world->llm_held[0].sink;
    std::thread producer([sink] {
        for (int i = 0; i < 200; ++i) sink->on_token("word ");
        sink->on_token("end.");
        sink->on_done();
    });
    // The loop thread polls while the tokens come in.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (driver.call->turns().at(0).bot_text.size() < 1004 &&
           std::chrono::steady_clock::now() < give_up) {
        driver.poll_now();
        std::this_thread::yield();
    }
    producer.join();
    driver.poll_now();
    CHECK(wakes.load() >= 1);
    CHECK(driver.call->turns().at(0).bot_text.size() == 1004);

    // A producer still talking while the call is destroyed: its callbacks land in a closed
    // inbox (run under ASan: no use after free).
    driver.world->transcripts.push_back("more");
    driver.speak(400, -8.0);  // over the bot's voice: louder than its echo could be
    driver.silence(600);
    REQUIRE(world->llm_held.size() == 2);
    auto sink2 = world->llm_held[1].sink;
    std::atomic<bool> go{false};
    std::thread late([sink2, &go] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 500; ++i) sink2->on_token("late ");
        sink2->on_done();
    });
    go.store(true);
    driver.call.reset();
    const int after = wakes.load();
    late.join();
    CHECK(wakes.load() == after);  // the waker never runs once the Call is gone
}

TEST_CASE("agent: protocol garbage is counted and the call goes on") {
    Sim sim(basic_config());
    sim.text(R"({"event":"call_start","call_id":"12345678901234567890"})");
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));  // the greeting
    const std::uint8_t odd[3] = {1, 2, 3};
    sim.call->on_message(odd, true, sim.now);  // not a whole number of samples
    sim.text("{not json");
    sim.text(R"({"event":"audio_data","data":{"audioData":"***"}})");
    sim.text(R"({"event":"who_knows"})");  // unknown: ignored, not an error
    CHECK(sim.call->stats().protocol_errors == 3);
    CHECK_FALSE(sim.call->ended());
    CHECK(sim.call->metadata().call_id == "12345678901234567890");
    const TurnMetrics t = turn_of(sim, "when are you open");
    CHECK_FALSE(t.failed);
    CHECK(t.heard_text == sim.world->reply);
}

TEST_CASE("agent: calls created from a shared config hold it, not a copy") {
    auto world = std::make_shared<FakeWorld>();
    Providers p;
    p.stt = std::make_shared<FakeStt>(world);
    p.llm = std::make_shared<FakeLlm>(world);
    p.tts = std::make_shared<FakeTts>(world);
    auto shared = std::make_shared<const CallConfig>(basic_config());
    {
        auto a = Call::create(shared, p);
        auto b = Call::create(shared, p);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(shared.use_count() == 3);
    }
    CHECK(shared.use_count() == 1);
    CHECK(Call::create(std::shared_ptr<const CallConfig>(), p).code() == Errc::invalid_argument);
    CallConfig bad;
    bad.chunk_ms = 50;
    CHECK(Call::create(std::make_shared<const CallConfig>(bad), p).code() ==
          Errc::invalid_argument);
}

TEST_CASE("agent: Call::create refuses missing providers and out-of-range settings") {
    auto world = std::make_shared<FakeWorld>();
    Providers p;
    p.stt = std::make_shared<FakeStt>(world);
    p.llm = std::make_shared<FakeLlm>(world);
    CHECK(Call::create(CallConfig{}, p).code() == Errc::invalid_argument);  // no tts
    p.tts = std::make_shared<FakeTts>(world);
    CHECK(Call::create(CallConfig{}, p).ok());
    CallConfig bad;
    bad.chunk_ms = 50;
    CHECK(Call::create(bad, p).code() == Errc::invalid_argument);
    bad = {};
    bad.output_sample_rate_hz = 44100;
    CHECK(Call::create(bad, p).code() == Errc::invalid_argument);
    bad = {};
    bad.max_lead_ms = 100;  // shorter than a chunk
    CHECK(Call::create(bad, p).code() == Errc::invalid_argument);
    bad = {};
    bad.stt_timeout_ms = 0;
    CHECK(Call::create(bad, p).code() == Errc::invalid_argument);
    bad = {};
    bad.decoder.default_channels = 3;
    CHECK(Call::create(bad, p).code() == Errc::invalid_argument);
}
