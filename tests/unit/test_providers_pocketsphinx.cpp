#include <doctest/doctest.h>

#include <cstdlib>
#include <future>

#include "providers/local/pocketsphinx_stt.hpp"
#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"
#include "test_providers_speech.hpp"
#include "test_providers_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using namespace std::chrono_literals;
using providers_test::demo_dialog;
using providers_test::feed;
using providers_test::line_noise;
using providers_test::speech;
using providers_test::SttRecorder;

namespace {

// Waits until every job posted to the (single-thread) pool before this call has run.
void settle(WorkerPool& pool) {
    std::promise<void> done;
    pool.post([&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(10s) == std::future_status::ready);
}

struct Turn {
    std::string say;
    std::size_t intent;  // the demo dialog intent it must pick
};

}  // namespace

TEST_CASE("providers: pocketsphinx rejects a missing model and bad options") {
    auto pool = WorkerPool::create(1);
    auto missing = make_pocketsphinx_stt({"/nonexistent/model", true, 300}, pool);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.code() == Errc::not_found);
    CHECK(missing.error().message.find("/nonexistent/model") != std::string::npos);
    CHECK(make_pocketsphinx_stt({{}, true, 60000}, pool).code() == Errc::invalid_argument);

    auto stt = make_pocketsphinx_stt({}, pool);
    REQUIRE(stt.ok());
    CHECK((*stt)->name() == "pocketsphinx");
    CHECK((*stt)->sample_rate_hz() == 0);  // the line's own rate, resampled on the worker
    SttOptions bad;
    bad.sample_rate_hz = 1000;
    CHECK((*stt)->open(bad, std::make_shared<SttRecorder>()).code() == Errc::invalid_argument);
    CHECK((*stt)->open({}, nullptr).code() == Errc::invalid_argument);
}

TEST_CASE("providers: pocketsphinx hears the demo dialog's phrases said by flite") {
    // Separate pools, as a host would have: the decoder's loading never delays the caller's voice.
    auto pool = WorkerPool::create(1);
    auto tts = make_flite_tts({}, WorkerPool::create(1));
    REQUIRE(tts.ok());
    auto summary = describe_dialog(demo_dialog());
    REQUIRE(summary.ok());
    auto dialog = local::parse_dialog(demo_dialog());
    REQUIRE(dialog.ok());
    auto stt = make_pocketsphinx_stt({}, pool);
    REQUIRE(stt.ok());

    // Words the dictionary lacks are dropped from the grammar rather than failing it.
    auto phrases = summary->phrases;
    phrases.push_back("xyzzyq frobnicate");
    phrases.push_back("public holidays 24/7");
    SttOptions options;
    options.phrases = phrases;
    options.call_id = "test";
    auto sink = std::make_shared<SttRecorder>();
    auto stream = (*stt)->open(options, sink);
    REQUIRE(stream.ok());

    const std::vector<Turn> turns = {{"what are your opening hours", 0},
                                     {"transfer me to sales", 2},
                                     {"I would like to check my order", 1}};
    std::uint32_t seed = 1;
    for (const auto& turn : turns) {
        feed(**stream, line_noise(16000, seed++));  // a second of the line before
        (*stream)->speech_started();
        feed(**stream, speech(**tts, turn.say, false));
        feed(**stream, line_noise(8000, seed++));  // the engine's endpointing silence
        (*stream)->end_of_turn();
    }
    REQUIRE(sink->wait_finals(turns.size(), 20s));
    REQUIRE_FALSE(sink->error());
    const auto finals = sink->finals();
    REQUIRE(finals.size() == turns.size());
    for (std::size_t i = 0; i < turns.size(); ++i) {
        CAPTURE(turns[i].say);
        CAPTURE(finals[i]);
        CHECK(dialog->match(finals[i]) == &dialog->intents[turns[i].intent]);
        if (std::getenv("ROB_TEST_VERBOSE")) MESSAGE(turns[i].say << " -> " << finals[i]);
    }
    CHECK(finals[0].find("opening hours") != std::string::npos);
}

TEST_CASE("providers: pocketsphinx on phone-band speech (8 kHz mu-law, back to 16 kHz)") {
    // Separate pools, as a host would have: the decoder's loading never delays the caller's voice.
    auto pool = WorkerPool::create(1);
    auto tts = make_flite_tts({}, WorkerPool::create(1));
    REQUIRE(tts.ok());
    auto summary = describe_dialog(demo_dialog());
    REQUIRE(summary.ok());
    auto dialog = local::parse_dialog(demo_dialog());
    REQUIRE(dialog.ok());
    auto stt = make_pocketsphinx_stt({}, pool);
    REQUIRE(stt.ok());
    SttOptions options;
    options.phrases = summary->phrases;
    auto sink = std::make_shared<SttRecorder>();
    auto stream = (*stt)->open(options, sink);
    REQUIRE(stream.ok());
    // No speech_started hints here: the whole turn since the last one is decoded.
    const std::vector<Turn> turns = {{"what are your opening hours", 0},
                                     {"transfer me to sales", 2}};
    std::uint32_t seed = 7;
    for (const auto& turn : turns) {
        feed(**stream, line_noise(8000, seed++));
        feed(**stream, speech(**tts, turn.say, true));
        feed(**stream, line_noise(8000, seed++));
        (*stream)->end_of_turn();
    }
    REQUIRE(sink->wait_finals(turns.size(), 20s));
    const auto finals = sink->finals();
    REQUIRE(finals.size() == turns.size());
    for (std::size_t i = 0; i < turns.size(); ++i) {
        CAPTURE(turns[i].say);
        CAPTURE(finals[i]);
        CHECK(dialog->match(finals[i]) == &dialog->intents[turns[i].intent]);
        if (std::getenv("ROB_TEST_VERBOSE")) MESSAGE(turns[i].say << " -> " << finals[i]);
    }
}

TEST_CASE("providers: pocketsphinx turn plumbing: empty turns, rates, cancel, destruction") {
    auto pool = WorkerPool::create(1);
    auto stt = make_pocketsphinx_stt({}, pool);
    REQUIRE(stt.ok());
    SttOptions options;
    options.phrases = {"opening hours", "sales"};

    SUBCASE("a turn without audio, or of noise only, is an empty final") {
        auto sink = std::make_shared<SttRecorder>();
        auto stream = (*stt)->open(options, sink);
        REQUIRE(stream.ok());
        (*stream)->end_of_turn();
        feed(**stream, line_noise(16000, 3));
        (*stream)->end_of_turn();
        REQUIRE(sink->wait_finals(2));
        CHECK(sink->finals() == std::vector<std::string>{"", ""});
    }
    SUBCASE("an 8 kHz stream is resampled; hostile sizes are bounded") {
        options.sample_rate_hz = 8000;
        auto sink = std::make_shared<SttRecorder>();
        auto stream = (*stt)->open(options, sink);
        REQUIRE(stream.ok());
        // 40 s in one call: only the newest 30 s are kept, and decoding them ends.
        const auto big = line_noise(8000 * 40, 5);
        (*stream)->send_audio(big);
        (*stream)->speech_started();
        (*stream)->speech_started();
        (*stream)->end_of_turn();
        (*stream)->send_audio({});
        (*stream)->end_of_turn();
        REQUIRE(sink->wait_finals(2, 20s));
        CHECK_FALSE(sink->error());
    }
    SUBCASE("cancel drops pending results; destruction during a decode is safe") {
        auto sink = std::make_shared<SttRecorder>();
        auto stream = (*stt)->open(options, sink);
        REQUIRE(stream.ok());
        feed(**stream, line_noise(16000 * 3, 9));
        (*stream)->end_of_turn();
        (*stream)->cancel();
        (*stream)->cancel();
        (*stream)->end_of_turn();  // ignored after cancel
        settle(*pool);
        CHECK(sink->finals().empty());

        auto sink2 = std::make_shared<SttRecorder>();
        auto stream2 = (*stt)->open(options, sink2);
        REQUIRE(stream2.ok());
        feed(**stream2, line_noise(16000 * 3, 11));
        (*stream2)->end_of_turn();
        stream2->reset();  // the queued decode still holds the call's state
        settle(*pool);
        CHECK(sink2->finals().empty());
    }
    SUBCASE("without phrases the open language model decodes") {
        auto sink = std::make_shared<SttRecorder>();
        auto stream = (*stt)->open(SttOptions{}, sink);
        REQUIRE(stream.ok());
        feed(**stream, line_noise(16000, 13));
        (*stream)->end_of_turn();
        REQUIRE(sink->wait_finals(1, 20s));
        CHECK_FALSE(sink->error());
    }
}

TEST_CASE("providers: pocketsphinx prewarm() loads and runs the call's decoder before it says so") {
    auto pool = WorkerPool::create(1);
    auto stt = make_pocketsphinx_stt({}, pool);
    REQUIRE(stt.ok());
    const auto phrases = describe_dialog(demo_dialog())->phrases;
    CHECK((*stt)->prewarmed());  // nothing asked yet

    // The pool's only worker is busy: the prewarm cannot have run.
    std::promise<void> release;
    auto released = release.get_future().share();
    pool->post([released] { released.wait(); });
    (*stt)->prewarm(phrases);
    CHECK_FALSE((*stt)->prewarmed());
    release.set_value();
    settle(*pool);
    CHECK((*stt)->prewarmed());
    auto stats = providers::local::pocketsphinx_decoder_stats(**stt);
    REQUIRE(stats);
    CHECK(stats->loaded == 1);
    CHECK(stats->idle == 1);

    // The first call's turn finds that decoder: nothing more is loaded.
    auto rec = std::make_shared<SttRecorder>();
    SttOptions options;
    options.sample_rate_hz = 8000;
    options.phrases = phrases;
    options.speech_start_hints = true;
    auto stream = (*stt)->open(options, rec);
    REQUIRE(stream.ok());
    const std::vector<std::int16_t> quiet(8000 / 2, 0);
    (*stream)->send_audio(quiet);
    (*stream)->speech_started();
    (*stream)->send_audio(quiet);
    (*stream)->end_of_turn();
    REQUIRE(rec->wait_finals(1));
    stats = providers::local::pocketsphinx_decoder_stats(**stt);
    CHECK(stats->loaded == 1);
}
