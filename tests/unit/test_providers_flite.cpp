#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "ringoverbot/providers.hpp"
#include "test_providers_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using providers_test::TtsRecorder;
using namespace std::chrono_literals;

namespace {
constexpr const char* kSentence = "We are open from eight in the morning to six in the evening.";

std::shared_ptr<TtsRecorder> say(TtsProvider& tts, std::string text, std::string voice = {}) {
    auto sink = std::make_shared<TtsRecorder>();
    auto req = tts.synthesize(TtsRequest{std::move(text), 16000, std::move(voice)}, sink);
    REQUIRE(req.ok());
    REQUIRE(sink->wait());
    return sink;
}
}  // namespace

TEST_CASE("providers: flite speaks at the voice's rate in ~100 ms chunks") {
    auto pool = WorkerPool::create(2);
    auto tts = make_flite_tts({}, pool);
    REQUIRE(tts.ok());
    CHECK((*tts)->name() == "flite");

    auto slt = say(**tts, kSentence);
    CHECK_FALSE(slt->error());
    CHECK(slt->done() == 1);
    CHECK(slt->rate() == 16000);
    CHECK_FALSE(slt->rate_changed());
    const auto audio = slt->audio();
    const double seconds = static_cast<double>(audio.size()) / 16000.0;
    // 12 words: about three to five seconds of speech, not silence.
    CHECK(seconds > 2.5);
    CHECK(seconds < 6.0);
    CHECK(providers_test::rms(audio) > 500.0);
    const auto chunks = slt->chunk_sizes();
    REQUIRE(chunks.size() >= 2);
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i) CHECK(chunks[i] == 1600);
    CHECK(chunks.back() <= 1600);

    // The male voice is an 8 kHz diphone voice; the request picks it.
    auto kal = say(**tts, kSentence, "kal");
    CHECK(kal->rate() == 8000);
    CHECK(kal->chunk_sizes().front() == 800);
    const double kal_seconds = static_cast<double>(kal->audio().size()) / 8000.0;
    CHECK(kal_seconds > 2.5);
    CHECK(kal_seconds < 6.0);
}

TEST_CASE("providers: flite speed, blank text and rejected requests") {
    auto pool = WorkerPool::create(1);
    auto normal = make_flite_tts({"slt", 1.0}, pool);
    auto fast = make_flite_tts({"slt", 1.5}, pool);
    REQUIRE(normal.ok());
    REQUIRE(fast.ok());
    const auto n = say(**normal, kSentence)->audio().size();
    const auto f = say(**fast, kSentence)->audio().size();
    // duration_stretch 1/1.5 shortens the speech (pauses and edges scale less).
    CHECK(static_cast<double>(f) < 0.8 * static_cast<double>(n));
    CHECK(static_cast<double>(f) > 0.55 * static_cast<double>(n));
    // The speed is per provider: the voice's shared features are untouched.
    CHECK(say(**normal, kSentence)->audio().size() == n);

    auto blank = say(**normal, " \t\n ");
    CHECK(blank->done() == 1);
    CHECK(blank->audio().empty());
    CHECK(say(**normal, "")->audio().empty());

    auto sink = std::make_shared<TtsRecorder>();
    CHECK((*normal)->synthesize({"hello", 16000, "alloy"}, sink).code() == Errc::invalid_argument);
    CHECK((*normal)->synthesize({std::string(20000, 'a'), 16000, {}}, sink).code() ==
          Errc::too_large);
    CHECK((*normal)->synthesize({"hello", 16000, {}}, nullptr).code() == Errc::invalid_argument);
    CHECK(make_flite_tts({"awb", 1.0}, pool).code() == Errc::invalid_argument);
    CHECK(make_flite_tts({"slt", 0.0}, pool).code() == Errc::invalid_argument);
    CHECK(make_flite_tts({"slt", std::nan("")}, pool).code() == Errc::invalid_argument);
    // No pool: the provider makes its own.
    auto own = make_flite_tts({}, nullptr);
    REQUIRE(own.ok());
    CHECK(say(**own, "hello")->audio().size() > 1600);
}

TEST_CASE("providers: flite stops on cancel and on the handle's destruction") {
    auto pool = WorkerPool::create(1);
    auto tts = make_flite_tts({}, pool);
    REQUIRE(tts.ok());
    std::string text;
    for (int i = 0; i < 20; ++i)
        text += "This is a long sentence that keeps the synthesizer busy. ";

    // Cancelled mid-stream: the synthesis stops early, without on_done.
    auto sink = std::make_shared<TtsRecorder>();
    auto req = (*tts)->synthesize({text, 16000, {}}, sink);
    REQUIRE(req.ok());
    REQUIRE(sink->wait_audio(1600));
    (*req)->cancel();
    (*req)->cancel();
    // The pool is free again once the job saw the cancel: a later request completes.
    auto after = say(**tts, "done");
    CHECK(after->done() == 1);
    CHECK(sink->done() == 0);
    // 20 sentences are about a minute of speech; a cancelled one stops after a few chunks.
    CHECK(sink->audio().size() < 16000u * 10u);

    // Destroyed before it ran: nothing at all arrives.
    auto blocker = std::make_shared<TtsRecorder>();
    auto busy = (*tts)->synthesize({text, 16000, {}}, blocker);  // occupies the one worker
    REQUIRE(busy.ok());
    auto dropped = std::make_shared<TtsRecorder>();
    {
        auto gone = (*tts)->synthesize({kSentence, 16000, {}}, dropped);
        REQUIRE(gone.ok());
    }
    (*busy)->cancel();
    CHECK(say(**tts, "done")->done() == 1);
    CHECK(dropped->audio().empty());
    CHECK(dropped->done() == 0);
}

TEST_CASE("providers: flite survives hostile text and runs in parallel requests") {
    auto pool = WorkerPool::create(2);
    auto tts = make_flite_tts({}, pool);
    REQUIRE(tts.ok());
    std::string junk;
    for (int i = 0; i < 100; ++i) junk.push_back(static_cast<char>((i * 73 + 11) % 255 + 1));
    const std::vector<std::string> texts = {junk, "1234567890123456789012345678901234567890",
                                            "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac",
                                            "$$$ %%% ^^^ ((( )))", "a.b.c.d.e.f.g"};
    std::vector<std::shared_ptr<TtsRecorder>> sinks;
    std::vector<std::unique_ptr<Request>> reqs;
    for (const auto& t : texts)
        for (const char* v : {"slt", "kal"}) {
            auto s = std::make_shared<TtsRecorder>();
            auto r = (*tts)->synthesize({t, 16000, v}, s);
            REQUIRE(r.ok());
            reqs.push_back(std::move(*r));
            sinks.push_back(s);
        }
    for (auto& s : sinks) {
        REQUIRE(s->wait(10000ms));
        CHECK_FALSE(s->error());
        CHECK(s->done() == 1);
    }
}
