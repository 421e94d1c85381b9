// The call engine replayed against a virtual clock: greeting, turn timing, endpointing, the
// reply path and its pacing, metrics and history.
#include <doctest/doctest.h>

#include "test_agent_fakes.hpp"

using namespace rob_test;

namespace {

// Every streamAudio message is 100..500 ms and the bot is never more than about a second
// ahead of the media server's playout (modelled from the send times).
void check_pacing(const Sim& sim, std::uint32_t max_lead_ms = 1000) {
    std::int64_t playout_end = 0;
    for (const auto& s : sim.sent) {
        if (s.kind == "break") playout_end = std::min(playout_end, s.at_us);
        if (s.kind != "audio") continue;
        const auto ms = s.samples * 1000 / s.rate;
        CHECK(ms >= 100);
        CHECK(ms <= 500);
        playout_end = std::max(playout_end, s.at_us) + static_cast<std::int64_t>(ms) * 1000;
        CHECK(playout_end - s.at_us <= std::int64_t{max_lead_ms} * 1000);
    }
}

}  // namespace

TEST_CASE("agent: call greets, answers one question and keeps the history") {
    Sim sim(basic_config());
    sim.world->transcripts = {"what are your opening hours"};
    sim.silence(20);  // the first frame starts the call
    REQUIRE(sim.count("audio") >= 1);
    CHECK(sim.sent.front().at_us == 1'020'000);  // the greeting starts at once
    CHECK(sim.world->tts_texts.front() == "fake-tts:Hello, how can I help?");

    // The greeting: 22 characters * 60 ms = 1.32 s of audio.
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
    const TurnMetrics g = sim.finished.at(0);
    CHECK(g.index == 0);
    CHECK(g.caller_text.empty());
    CHECK(g.bot_text == "Hello, how can I help?");
    CHECK(g.heard_text == "Hello, how can I help?");
    CHECK(g.first_frame_us == 1'020'000);
    CHECK(g.playout_end_us == doctest::Approx(1'020'000 + 1'320'000).epsilon(0.01));

    sim.speak(800);
    const std::int64_t speech_stop = sim.now;
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 8000));
    const TurnMetrics t = sim.finished.at(1);
    CHECK(t.index == 1);
    CHECK(t.caller_text == "what are your opening hours");
    CHECK(t.bot_text == "We are open from eight to six. Come and see us.");
    CHECK(t.heard_text == "We are open from eight to six. Come and see us.");
    CHECK_FALSE(t.interrupted);
    CHECK_FALSE(t.failed);
    // End of speech seen by the VAD within a frame of when the caller stopped, and the turn
    // closed after the endpointing silence (500 ms).
    CHECK(std::llabs(t.speech_end_us - speech_stop) <= 20000);
    CHECK(t.stt_final_us - t.speech_end_us >= 500'000);
    CHECK(t.stt_final_us - t.speech_end_us <= 540'000);
    CHECK(t.first_token_us >= t.stt_final_us);
    CHECK(t.first_audio_us >= t.first_token_us);
    CHECK(t.first_frame_us >= t.first_audio_us);
    CHECK(t.playout_end_us > t.first_frame_us);

    check_pacing(sim);
    const auto& h = sim.call->history();
    REQUIRE(h.size() == 3);
    CHECK(h[0].role == providers::Role::assistant);
    CHECK(h[0].content == "Hello, how can I help?");
    CHECK(h[1].content == "what are your opening hours");
    CHECK(h[2].content == "We are open from eight to six. Come and see us.");
    // The LLM saw the system prompt, the greeting and the question.
    REQUIRE(sim.world->llm_requests.size() == 1);
    const auto& req = sim.world->llm_requests[0];
    REQUIRE(req.messages.size() == 3);
    CHECK(req.messages[0].role == providers::Role::system);
    CHECK(req.messages[2].content == "what are your opening hours");
    CHECK(sim.call->stats().turns == 1);
    CHECK(sim.world->stt_samples > 0);
}

TEST_CASE("agent: endpointing waits for the configured silence, short pauses do not end a turn") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.endpoint_silence_ms = 800;
    Sim sim(cfg);
    sim.world->transcripts = {"one two three four"};
    sim.silence(200);
    sim.speak(400);
    sim.silence(500);  // a pause within the utterance
    sim.speak(400);
    const std::int64_t stop = sim.now;
    sim.silence(780);
    CHECK(sim.world->end_of_turns == 0);
    sim.silence(60);
    CHECK(sim.world->end_of_turns == 1);
    REQUIRE(sim.call->turns().size() == 1);
    const TurnMetrics t = sim.call->turns()[0];
    CHECK(std::llabs(t.speech_end_us - stop) <= 20000);
    CHECK(t.stt_final_us - t.speech_end_us >= 800'000);
    CHECK(t.stt_final_us - t.speech_end_us <= 840'000);
    CHECK(sim.world->speech_hints == 1);  // the STT heard of one start only
}

TEST_CASE("agent: a turn that goes on past max_turn_ms is closed there") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.max_turn_ms = 2000;
    Sim sim(cfg);
    sim.world->transcripts = {"blah blah", "and more"};
    sim.silence(200);
    const std::int64_t start = sim.now;
    sim.speak(2100);
    // Cut at 2 s of speech (a VAD fooled by steady noise must not hold the call forever).
    CHECK(sim.world->end_of_turns == 1);
    REQUIRE(sim.world->llm_requests.size() == 1);
    CHECK(sim.world->llm_requests[0].messages.back().content == "blah blah");
    CHECK(sim.call->turns().at(0).stt_final_us - start >= 2'000'000);
    CHECK(sim.call->turns().at(0).stt_final_us - start <= 2'060'000);
    // The caller still talks, loud enough to be told from the bot: that is a barge-in.
    sim.speak(400, -10.0);
    CHECK(sim.call->turns().at(0).interrupted);
    sim.silence(600);
    CHECK(sim.world->end_of_turns == 2);
    REQUIRE(sim.world->llm_requests.size() == 2);
    const std::string last = sim.world->llm_requests[1].messages.back().content;
    CHECK(last.size() >= 8);
    CHECK(last.substr(last.size() - 8) == "and more");
}

TEST_CASE("agent: an empty transcript is not answered") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    Sim sim(cfg);
    sim.world->transcripts = {"", "  ", "hello"};
    sim.silence(200);
    sim.speak(300);  // a cough
    sim.silence(700);
    sim.speak(300);
    sim.silence(700);
    CHECK(sim.world->end_of_turns == 2);
    CHECK(sim.world->llm_requests.empty());
    CHECK(sim.call->turns().empty());
    CHECK(sim.call->stats().turns == 0);
    sim.speak(300);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 6000));
    CHECK(sim.finished[0].index == 0);
    CHECK(sim.finished[0].caller_text == "hello");
}

TEST_CASE("agent: interim transcripts are ignored, finals before the end of turn accumulate") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.speculate_after_ms = 0;  // counts the LLM's requests (see test_agent_call_speculation)
    Sim sim(cfg);
    sim.world->transcripts = {"tomorrow"};
    sim.silence(200);
    sim.speak(400);
    auto& sink = sim.world->stt_sinks.back();
    sink->on_transcript("a cake for", false, 1.0);
    sink->on_transcript("a cake for", true, 1.0);  // a provider's own final, mid-utterance
    sim.poll_now();
    CHECK(sim.world->llm_requests.empty());  // the caller is still talking
    sim.speak(200);
    sim.silence(600);
    REQUIRE(sim.world->llm_requests.size() == 1);
    CHECK(sim.world->llm_requests[0].messages.back().content == "a cake for tomorrow");
}

TEST_CASE("agent: stereo streams listen to the caller's (left) channel only") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.decoder.default_channels = 2;
    auto world = std::make_shared<FakeWorld>();
    world->transcripts = {"left side"};
    Sim sim(cfg, world);
    auto stereo = [&](double left_dbfs, double right_dbfs) {
        sim.advance_to(sim.now + Sim::kFrameUs);
        std::vector<std::uint8_t> bytes;
        const double la = 32767.0 * std::pow(10.0, left_dbfs / 20.0) * std::sqrt(2.0);
        const double ra = 32767.0 * std::pow(10.0, right_dbfs / 20.0) * std::sqrt(2.0);
        for (int i = 0; i < 160; ++i) {
            for (double amp : {la, ra}) {
                const auto v = static_cast<std::int16_t>(amp * std::sin(0.3 * i));
                bytes.push_back(static_cast<std::uint8_t>(v & 0xff));
                bytes.push_back(static_cast<std::uint8_t>((v >> 8) & 0xff));
            }
        }
        sim.call->on_message(bytes, true, sim.now);
        sim.collect();
    };
    for (int i = 0; i < 50; ++i) stereo(-70, -70);
    for (int i = 0; i < 50; ++i) stereo(-70, -6);  // loud on the bot's channel: not the caller
    CHECK(sim.world->speech_hints == 0);
    for (int i = 0; i < 30; ++i) stereo(-15, -70);
    CHECK(sim.world->speech_hints == 1);
    for (int i = 0; i < 40; ++i) stereo(-70, -70);
    CHECK(sim.world->end_of_turns == 1);
    CHECK(sim.call->format().channels == 2);
    // The STT got one mono channel: 16 kHz for 170 frames of 20 ms (less the resampler's
    // held-back tail).
    CHECK(sim.world->stt_samples <= 170u * 320u);
    CHECK(sim.world->stt_samples >= 170u * 320u - 200u);
}

TEST_CASE("agent: outbound rate follows the stream, or the configured rate, paced alike") {
    SUBCASE("16 kHz stream: 16 kHz audio out, no resampling of the 16 kHz voice") {
        Sim sim(basic_config(), std::make_shared<FakeWorld>(), 16000);
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
        for (const Sent* s : sim.of_kind("audio")) CHECK(s->rate == 16000);
        std::size_t total = 0;
        for (const Sent* s : sim.of_kind("audio")) total += s->samples;
        CHECK(total == 16000 * 60 * 22 / 1000);  // exactly the synthesized samples
        check_pacing(sim);
    }
    SUBCASE("24 kHz out from an 8 kHz stream and an 8 kHz voice") {
        CallConfig cfg = basic_config();
        cfg.output_sample_rate_hz = 24000;
        cfg.chunk_ms = 500;
        auto world = std::make_shared<FakeWorld>();
        world->tts_rate_hz = 8000;
        Sim sim(cfg, world);
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
        std::size_t total = 0;
        for (const Sent* s : sim.of_kind("audio")) {
            CHECK(s->rate == 24000);
            total += s->samples;
            CHECK(s->dbfs == doctest::Approx(world->tts_dbfs).epsilon(0.05));  // the voice
        }
        CHECK(sim.count("audio") == 3);  // 1.32 s in 500 ms chunks
        CHECK(total >= 24000 * 1320 / 1000);
        CHECK(total <= 24000 * 1320 / 1000 + 24);
        check_pacing(sim);
    }
    SUBCASE("a stream at a rate Ringover does not play gets 8 kHz") {
        Sim sim(basic_config(), std::make_shared<FakeWorld>(), 48000);
        REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 3000));
        for (const Sent* s : sim.of_kind("audio")) CHECK(s->rate == 8000);
    }
}

TEST_CASE("agent: a long reply is paced a second ahead of playout at most") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    auto world = std::make_shared<FakeWorld>();
    world->reply = std::string(
        "This is a long answer that goes on. It has many sentences. Each one is synthesized "
        "in turn. The media server plays them in order. The bot keeps ahead by a second. "
        "Never more than that.");
    world->transcripts = {"tell me a story"};
    Sim sim(cfg, world);
    sim.silence(100);
    sim.speak(400);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 1; }, 20000));
    check_pacing(sim);
    const TurnMetrics t = sim.finished[0];
    const auto audio = sim.of_kind("audio");
    REQUIRE(audio.size() > 20);
    // Sent in step with playout: the last chunk leaves about a second before the end.
    CHECK(t.playout_end_us - audio.back()->at_us <= 1'000'000);
    CHECK(t.heard_text == world->reply);
    CHECK(t.playout_end_us - t.first_frame_us ==
          doctest::Approx(double(world->reply.size() - 5) * 60'000).epsilon(0.02));
}

TEST_CASE("agent: history is bounded by max_history_messages") {
    CallConfig cfg = basic_config();
    cfg.greeting.clear();
    cfg.max_history_messages = 4;
    auto world = std::make_shared<FakeWorld>();
    world->reply = "Yes.";
    world->transcripts = {"one", "two", "three"};
    Sim sim(cfg, world);
    sim.silence(100);
    for (int i = 0; i < 3; ++i) {
        sim.speak(300);
        REQUIRE(sim.silence_until([&] { return sim.finished.size() == std::size_t(i + 1); }, 5000));
    }
    const auto& h = sim.call->history();
    REQUIRE(h.size() == 4);
    CHECK(h[0].content == "two");
    CHECK(h[2].content == "three");
    // The system prompt is not part of the bound: it leads every request.
    const auto& msgs = world->llm_requests.back().messages;
    REQUIRE(msgs.size() == 5);  // the system prompt, then the last four messages
    CHECK(msgs[0].role == providers::Role::system);
    CHECK(msgs[1].content == "Yes.");
    CHECK(msgs[4].content == "three");
}

TEST_CASE("agent: streamed TTS audio goes out as soon as 100 ms are there, then in chunks") {
    CallConfig cfg = basic_config();
    cfg.greeting = "Good morning to you, this is the bakery.";  // 40 characters: 2.4 s
    auto world = std::make_shared<FakeWorld>();
    world->tts_mode = Mode::manual;
    Sim sim(cfg, world);
    sim.silence(20);
    REQUIRE(world->tts_held.size() == 1);
    auto sink = world->tts_held[0].sink;
    const auto voice = world->voice(cfg.greeting);
    const std::size_t ms50 = 800;  // 50 ms at 16 kHz
    auto deliver = [&](std::size_t from, std::size_t n) {
        sink->on_audio(std::span<const std::int16_t>(voice).subspan(from, n), 16000);
        sim.poll_now();
    };
    deliver(0, ms50);
    CHECK(sim.count("audio") == 0);  // 50 ms: too short for a message
    deliver(ms50, ms50);
    deliver(2 * ms50, ms50);           // (the resampler holds a few ms back)
    REQUIRE(sim.count("audio") == 1);  // 100 ms or more, and nothing is playing: send it now
    CHECK(sim.of_kind("audio")[0]->samples >= 800);  // 100 ms at the 8 kHz stream rate
    CHECK(sim.of_kind("audio")[0]->samples < 1200);
    CHECK(sim.call->turns()[0].first_frame_us == sim.now);
    std::size_t delivered = 3 * ms50;
    // The synthesis now runs ahead of real time: full 200 ms chunks.
    deliver(delivered, 20 * ms50);
    delivered += 20 * ms50;
    sim.silence(100);
    for (std::size_t i = 1; i < sim.count("audio"); ++i)
        CHECK(sim.of_kind("audio")[i]->samples == 1600);
    // A synthesis slower than real time: rather than let the line fall silent, a 100..200 ms
    // chunk goes when the queue runs low.
    sim.silence(1000);
    const std::size_t before = sim.count("audio");
    deliver(delivered, 3 * ms50);  // 150 ms
    delivered += 3 * ms50;
    sim.silence(20);
    REQUIRE(sim.count("audio") == before + 1);
    CHECK(sim.of_kind("audio").back()->samples >= 1100);
    CHECK(sim.of_kind("audio").back()->samples <= 1300);
    sink->on_audio(std::span<const std::int16_t>(voice).subspan(delivered), 16000);
    sink->on_done();
    sim.poll_now();
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    std::size_t total = 0;
    for (const Sent* s : sim.of_kind("audio")) total += s->samples;
    CHECK(total == voice.size() / 2);
    check_pacing(sim);
}
