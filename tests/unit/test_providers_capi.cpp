// Providers written in C, seen from the C++ side: what the vtable callbacks receive, how the
// sinks behave across threads, cancellation and lifetimes; and the local providers' handles.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/providers.hpp"

namespace providers = ringoverbot::providers;

namespace {

// ---- a C LLM provider whose requests the test drives by hand ----

struct CLlm {
    std::mutex mutex;
    std::vector<rob_llm_sink*> sinks;  // one per started request, in order
    std::vector<std::string> seen;     // "role:content" of the last request
    std::string call_id;
    int start_result = ROB_OK;
    int cancels = 0, frees = 0, releases = 0;
    std::vector<void*> freed;
};

int llm_start(const rob_llm_request* r, rob_llm_sink* sink, void** data, void* ud) {
    auto* p = static_cast<CLlm*>(ud);
    std::lock_guard lock(p->mutex);
    if (p->start_result != ROB_OK) return p->start_result;
    p->seen.clear();
    for (size_t i = 0; i < r->message_count; ++i) {
        const rob_llm_message& m = r->messages[i];
        CHECK(std::strlen(m.content) == m.content_len);
        p->seen.push_back(std::to_string(m.role) + ":" + std::string(m.content, m.content_len));
    }
    p->call_id = r->call_id;
    p->sinks.push_back(sink);
    *data = reinterpret_cast<void*>(static_cast<std::uintptr_t>(p->sinks.size()));
    return ROB_OK;
}
void llm_cancel(void*, void* ud) {
    auto* p = static_cast<CLlm*>(ud);
    std::lock_guard lock(p->mutex);
    ++p->cancels;
}
void llm_free(void* data, void* ud) {
    auto* p = static_cast<CLlm*>(ud);
    std::lock_guard lock(p->mutex);
    ++p->frees;
    p->freed.push_back(data);
}
void llm_release(void* ud) {
    ++static_cast<CLlm*>(ud)->releases;
}

rob_llm_provider* make_c_llm(CLlm& state) {
    rob_llm_provider_vtable vt;
    rob_llm_provider_vtable_init(&vt, sizeof vt);
    vt.name = "test-llm";
    vt.user_data = &state;
    vt.start = llm_start;
    vt.cancel = llm_cancel;
    vt.free_request = llm_free;
    vt.release = llm_release;
    rob_llm_provider* p = nullptr;
    REQUIRE(rob_llm_provider_create(&vt, &p) == ROB_OK);
    return p;
}

// Records what the engine would receive, and checks it is never entered concurrently.
struct LlmRecorder : providers::LlmSink {
    std::mutex mutex;
    std::atomic<int> inside{0};
    bool overlapped = false;
    std::string text;
    std::vector<std::string> events;
    void enter(std::string e) {
        if (inside.fetch_add(1) != 0) overlapped = true;
        {
            std::lock_guard lock(mutex);
            events.push_back(std::move(e));
        }
        inside.fetch_sub(1);
    }
    void on_token(std::string_view t) override {
        {
            std::lock_guard lock(mutex);
            text += t;
        }
        enter("t");
    }
    void on_action(const providers::Action& a) override {
        enter("a:" + std::string(providers::action_name(a.kind)) + ":" + a.value);
    }
    void on_done() override { enter("done"); }
    void on_error(const ringoverbot::Error& e) override {
        enter("error:" + std::to_string(static_cast<int>(e.code)) + ":" + e.message);
    }
};

providers::LlmRequest two_messages() {
    providers::LlmRequest r;
    r.messages = {{providers::Role::system, "be brief"}, {providers::Role::user, "hello there"}};
    r.call_id = "42";
    return r;
}

}  // namespace

TEST_CASE("providers: C ABI vtable init, create and refusals") {
    rob_llm_provider_vtable vt;
    std::memset(&vt, 0xAB, sizeof vt);
    rob_llm_provider_vtable_init(&vt, sizeof vt);
    CHECK(vt.struct_size == sizeof vt);
    CHECK(!vt.start);
    CHECK(vt.user_data == nullptr);
    rob_llm_provider* p = nullptr;
    CHECK(rob_llm_provider_create(&vt, &p) == ROB_ERR_INVALID_ARGUMENT);  // start is required
    CHECK(p == nullptr);
    CHECK(rob_llm_provider_create(nullptr, &p) == ROB_ERR_INVALID_ARGUMENT);

    rob_stt_provider_vtable svt;
    rob_stt_provider_vtable_init(&svt, sizeof svt);
    CHECK(svt.sample_rate_hz == 16000);
    rob_stt_provider* s = nullptr;
    CHECK(rob_stt_provider_create(&svt, &s) == ROB_ERR_INVALID_ARGUMENT);

    // An older caller's smaller vtable gets defaults for the fields it does not know.
    rob_stt_provider_vtable_init(&svt, offsetof(rob_stt_provider_vtable, sample_rate_hz));
    CHECK(svt.struct_size == offsetof(rob_stt_provider_vtable, sample_rate_hz));

    CHECK(rob_struct_size(ROB_STRUCT_LLM_PROVIDER_VTABLE) == sizeof(rob_llm_provider_vtable));
    CHECK(rob_struct_size(ROB_STRUCT_TURN_METRICS) == sizeof(rob_turn_metrics));
    CHECK(rob_struct_size(ROB_STRUCT_SERVER_COUNTERS) == sizeof(rob_server_counters));
    CHECK(rob_struct_size(999) == 0);
    CHECK(std::string(rob_strerror(ROB_ERR_PROVIDER_FAILED)) == "provider failed");
    CHECK(std::string(rob_strerror(ROB_ERR_TIMEOUT)) == "timed out");

    // Sinks refuse NULL without crashing.
    CHECK(rob_llm_sink_token(nullptr, "x", 1) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_llm_sink_done(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_tts_sink_audio(nullptr, nullptr, 0, 16000) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stt_sink_release(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    rob_llm_provider_destroy(nullptr);
    CHECK(std::string(rob_llm_provider_name(nullptr)).empty());
}

TEST_CASE("providers: C ABI LLM vtable streams tokens and actions from another thread") {
    CLlm state;
    rob_llm_provider* handle = make_c_llm(state);
    CHECK(std::string(rob_llm_provider_name(handle)) == "test-llm");
    auto provider = handle->impl;
    rob_llm_provider_destroy(handle);  // the shared_ptr keeps the provider
    CHECK(state.releases == 0);
    CHECK(provider->name() == "test-llm");

    auto rec = std::make_shared<LlmRecorder>();
    auto req = provider->start(two_messages(), rec);
    REQUIRE(req.ok());
    REQUIRE(state.sinks.size() == 1);
    CHECK(state.seen == std::vector<std::string>{"0:be brief", "1:hello there"});
    CHECK(state.call_id == "42");

    rob_llm_sink* sink = state.sinks[0];
    std::thread worker([sink] {
        CHECK(rob_llm_sink_token(sink, "Let me ", 7) == ROB_OK);
        CHECK(rob_llm_sink_token(sink, "", 0) == ROB_OK);
        CHECK(rob_llm_sink_token(sink, "transfer you.", 13) == ROB_OK);
        CHECK(rob_llm_sink_action(sink, 17, "x") == ROB_ERR_INVALID_ARGUMENT);
        CHECK(rob_llm_sink_action(sink, ROB_ACTION_TRANSFER, nullptr) == ROB_ERR_INVALID_ARGUMENT);
        CHECK(rob_llm_sink_action(sink, ROB_ACTION_TRANSFER, "33182880001") == ROB_OK);
        CHECK(rob_llm_sink_action(sink, ROB_ACTION_END_CALL, nullptr) == ROB_OK);
        CHECK(rob_llm_sink_done(sink) == ROB_OK);
    });
    worker.join();
    CHECK(rec->text == "Let me transfer you.");
    CHECK(rec->events ==
          std::vector<std::string>{"t", "t", "a:transfer:33182880001", "a:end_call:", "done"});
    req->reset();  // completed: freed, and not cancelled
    CHECK(state.cancels == 0);
    CHECK(state.frees == 1);
    CHECK(state.freed[0] == reinterpret_cast<void*>(std::uintptr_t{1}));
    CHECK(state.releases == 0);
    provider.reset();
    CHECK(state.releases == 1);  // the last reference went
}

TEST_CASE("providers: C ABI cancel stops delivery, the sink outlives the request") {
    CLlm state;
    rob_llm_provider* handle = make_c_llm(state);
    auto rec = std::make_shared<LlmRecorder>();
    auto req = handle->impl->start(two_messages(), rec);
    REQUIRE(req.ok());
    rob_llm_sink* sink = state.sinks.at(0);
    CHECK(rob_llm_sink_token(sink, "Hel", 3) == ROB_OK);
    (*req)->cancel();
    (*req)->cancel();  // once is enough
    CHECK(state.cancels == 1);
    CHECK(rob_llm_sink_token(sink, "lo", 2) == ROB_DONE);  // accepted, dropped
    req->reset();                                          // the engine lets go first
    CHECK(state.cancels == 1);
    CHECK(state.frees == 1);
    rob_llm_provider_destroy(handle);
    CHECK(state.releases == 1);  // nothing else holds the provider
    // The provider's worker finishes late: still safe, still dropped.
    std::thread late([sink] {
        CHECK(rob_llm_sink_token(sink, "late", 4) == ROB_DONE);
        CHECK(rob_llm_sink_error(sink, ROB_ERR_CANCELED, "stopped") == ROB_DONE);
    });
    late.join();
    CHECK(rec->text == "Hel");
    CHECK(rec->events == std::vector<std::string>{"t"});
}

TEST_CASE("providers: C ABI destroying an unfinished request cancels it first") {
    CLlm state;
    rob_llm_provider* handle = make_c_llm(state);
    auto rec = std::make_shared<LlmRecorder>();
    {
        auto req = handle->impl->start(two_messages(), rec);
        REQUIRE(req.ok());
    }
    CHECK(state.cancels == 1);
    CHECK(state.frees == 1);
    CHECK(rob_llm_sink_release(state.sinks.at(0)) == ROB_DONE);  // the provider's reference
    rob_llm_provider_destroy(handle);
}

TEST_CASE("providers: C ABI refused start fails the request with the provider's code") {
    CLlm state;
    state.start_result = ROB_ERR_TIMEOUT;
    rob_llm_provider* handle = make_c_llm(state);
    auto rec = std::make_shared<LlmRecorder>();
    auto req = handle->impl->start(two_messages(), rec);
    REQUIRE_FALSE(req.ok());
    CHECK(req.code() == ringoverbot::Errc::timeout);
    CHECK(req.error().message.find("test-llm") != std::string::npos);
    state.start_result = 7;  // not an error code: still a refusal
    req = handle->impl->start(two_messages(), rec);
    CHECK(req.code() == ringoverbot::Errc::provider_failed);
    CHECK(state.frees == 0);  // nothing was started, nothing to free
    CHECK(rec->events.empty());
    rob_llm_provider_destroy(handle);
}

TEST_CASE("providers: C ABI error is terminal and carries code and message") {
    CLlm state;
    rob_llm_provider* handle = make_c_llm(state);
    auto rec = std::make_shared<LlmRecorder>();
    auto req = handle->impl->start(two_messages(), rec);
    REQUIRE(req.ok());
    CHECK(rob_llm_sink_error(state.sinks.at(0), ROB_ERR_IO, "connection reset") == ROB_OK);
    auto req2 = handle->impl->start(two_messages(), rec);
    REQUIRE(req2.ok());
    CHECK(rob_llm_sink_error(state.sinks.at(1), 5, nullptr) == ROB_OK);  // not a code
    CHECK(rec->events == std::vector<std::string>{"error:-6:connection reset",
                                                  "error:-200:language model failed"});
    req->reset();
    req2->reset();
    CHECK(state.cancels == 0);
    rob_llm_provider_destroy(handle);
}

TEST_CASE("providers: C ABI sink calls from many threads are serialised") {
    CLlm state;
    rob_llm_provider* handle = make_c_llm(state);
    auto rec = std::make_shared<LlmRecorder>();
    auto req = handle->impl->start(two_messages(), rec);
    REQUIRE(req.ok());
    rob_llm_sink* sink = state.sinks.at(0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([sink] {
            for (int i = 0; i < 500; ++i) (void)rob_llm_sink_token(sink, "ab", 2);
        });
    }
    for (auto& t : threads) t.join();
    CHECK(rob_llm_sink_done(sink) == ROB_OK);
    CHECK_FALSE(rec->overlapped);
    CHECK(rec->text.size() == 4 * 500 * 2);
    CHECK(rec->events.size() == 4 * 500 + 1);
    rob_llm_provider_destroy(handle);
}

namespace {

// ---- a C TTS provider that answers synchronously from start ----

struct CTts {
    std::string last_text, last_voice;
    uint32_t last_rate = 0;
    int frees = 0;
};

int tts_start(const rob_tts_request* r, rob_tts_sink* sink, void** data, void* ud) {
    auto* p = static_cast<CTts*>(ud);
    p->last_text.assign(r->text, r->text_len);
    p->last_voice = r->voice;
    p->last_rate = r->sample_rate_hz;
    std::vector<int16_t> pcm(160, 1000);
    CHECK(rob_tts_sink_audio(sink, pcm.data(), pcm.size(), 8000) == ROB_OK);
    CHECK(rob_tts_sink_audio(sink, pcm.data(), pcm.size(), 16000) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_tts_sink_audio(sink, pcm.data(), pcm.size(), 100) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_tts_sink_audio(sink, pcm.data(), 80, 8000) == ROB_OK);
    CHECK(rob_tts_sink_done(sink) == ROB_OK);
    *data = nullptr;
    return ROB_OK;
}
void tts_free(void*, void* ud) {
    ++static_cast<CTts*>(ud)->frees;
}

struct TtsRecorder : providers::TtsSink {
    std::size_t samples = 0;
    std::uint32_t rate = 0;
    int done = 0, errors = 0;
    void on_audio(std::span<const std::int16_t> s, std::uint32_t hz) override {
        samples += s.size();
        rate = hz;
    }
    void on_done() override { ++done; }
    void on_error(const ringoverbot::Error&) override { ++errors; }
};

}  // namespace

TEST_CASE("providers: C ABI TTS vtable may deliver inside start") {
    CTts state;
    rob_tts_provider_vtable vt;
    rob_tts_provider_vtable_init(&vt, sizeof vt);
    vt.user_data = &state;
    vt.start = tts_start;
    vt.free_request = tts_free;
    rob_tts_provider* h = nullptr;
    REQUIRE(rob_tts_provider_create(&vt, &h) == ROB_OK);
    CHECK(std::string(rob_tts_provider_name(h)) == "c-tts");
    auto rec = std::make_shared<TtsRecorder>();
    providers::TtsRequest r;
    r.text = "Good morning.";
    r.voice = "alto";
    r.sample_rate_hz = 24000;
    auto req = h->impl->synthesize(r, rec);
    REQUIRE(req.ok());
    CHECK(state.last_text == "Good morning.");
    CHECK(state.last_voice == "alto");
    CHECK(state.last_rate == 24000);
    CHECK(rec->samples == 240);
    CHECK(rec->rate == 8000);
    CHECK(rec->done == 1);
    req->reset();
    CHECK(state.frees == 1);
    rob_tts_provider_destroy(h);
}

namespace {

// ---- a C STT provider: counts audio, answers end_of_turn with a final transcript ----

struct CStt {
    rob_stt_sink* sink = nullptr;
    std::size_t samples = 0;
    int turns = 0, starts = 0, cancels = 0, frees = 0;
    uint32_t rate = 0;
    std::vector<std::string> phrases;
};

int stt_open(const rob_stt_options* o, rob_stt_sink* sink, void** data, void* ud) {
    auto* p = static_cast<CStt*>(ud);
    p->sink = sink;
    p->rate = o->sample_rate_hz;
    for (size_t i = 0; i < o->phrase_count; ++i) p->phrases.emplace_back(o->phrases[i]);
    *data = p;
    return ROB_OK;
}
void stt_push(void* data, const int16_t*, size_t n, void*) {
    static_cast<CStt*>(data)->samples += n;
}
void stt_started(void* data, void*) {
    ++static_cast<CStt*>(data)->starts;
}
void stt_turn(void* data, void*) {
    auto* p = static_cast<CStt*>(data);
    ++p->turns;
    CHECK(rob_stt_sink_transcript(p->sink, "opening", 7, 0) == ROB_OK);
    CHECK(rob_stt_sink_transcript(p->sink, "opening hours", 13, 1) == ROB_OK);
}
void stt_cancel(void* data, void*) {
    ++static_cast<CStt*>(data)->cancels;
}
void stt_free(void* data, void*) {
    auto* p = static_cast<CStt*>(data);
    ++p->frees;
    CHECK(rob_stt_sink_release(p->sink) == ROB_DONE);  // the stream is over: nothing delivered
}

struct SttRecorder : providers::SttSink {
    std::vector<std::string> events;
    void on_transcript(std::string_view t, bool final, double) override {
        events.push_back((final ? "final:" : "interim:") + std::string(t));
    }
    void on_speech_started() override { events.emplace_back("speech"); }
    void on_utterance_end() override { events.emplace_back("utterance_end"); }
    void on_error(const ringoverbot::Error& e) override { events.push_back("error:" + e.message); }
};

}  // namespace

TEST_CASE("providers: C ABI STT vtable receives audio and turn ends") {
    CStt state;
    rob_stt_provider_vtable vt;
    rob_stt_provider_vtable_init(&vt, sizeof vt);
    vt.user_data = &state;
    vt.name = "test-stt";
    vt.sample_rate_hz = 8000;
    vt.open = stt_open;
    vt.push_audio = stt_push;
    vt.speech_started = stt_started;
    vt.end_of_turn = stt_turn;
    vt.cancel = stt_cancel;
    vt.free_stream = stt_free;
    rob_stt_provider* h = nullptr;
    REQUIRE(rob_stt_provider_create(&vt, &h) == ROB_OK);
    CHECK(h->impl->sample_rate_hz() == 8000);
    auto rec = std::make_shared<SttRecorder>();
    providers::SttOptions o;
    o.sample_rate_hz = 8000;
    o.phrases = {"opening hours", "sales"};
    auto stream = h->impl->open(o, rec);
    REQUIRE(stream.ok());
    CHECK(state.rate == 8000);
    CHECK(state.phrases == o.phrases);
    std::vector<std::int16_t> frame(160);
    for (int i = 0; i < 10; ++i) (*stream)->send_audio(frame);
    (*stream)->speech_started();
    (*stream)->end_of_turn();
    CHECK(rob_stt_sink_speech_started(state.sink) == ROB_OK);
    CHECK(rob_stt_sink_utterance_end(state.sink) == ROB_OK);
    CHECK(state.samples == 1600);
    CHECK(state.starts == 1);
    CHECK(state.turns == 1);
    CHECK(rec->events == std::vector<std::string>{"interim:opening", "final:opening hours",
                                                  "speech", "utterance_end"});
    (*stream)->cancel();
    (*stream)->send_audio(frame);  // after cancel: not passed on
    CHECK(state.samples == 1600);
    stream->reset();
    CHECK(state.cancels == 1);
    CHECK(state.frees == 1);
    rob_stt_provider_destroy(h);
}

namespace {

struct ConfidenceRecorder : providers::SttSink {
    std::vector<std::pair<std::string, double>> transcripts;
    void on_transcript(std::string_view t, bool, double confidence) override {
        transcripts.emplace_back(std::string(t), confidence);
    }
    void on_error(const ringoverbot::Error&) override {}
};

int confidence_open(const rob_stt_options*, rob_stt_sink* sink, void** data, void* ud) {
    *static_cast<rob_stt_sink**>(ud) = sink;
    *data = ud;
    return ROB_OK;
}
void confidence_push(void*, const int16_t*, size_t, void*) {}
void confidence_turn(void*, void*) {}

}  // namespace

TEST_CASE("providers: C ABI STT sink carries a transcript's confidence") {
    rob_stt_sink* sink = nullptr;
    rob_stt_provider_vtable vt;
    rob_stt_provider_vtable_init(&vt, sizeof vt);
    vt.user_data = &sink;
    vt.open = confidence_open;
    vt.push_audio = confidence_push;
    vt.end_of_turn = confidence_turn;
    rob_stt_provider* h = nullptr;
    REQUIRE(rob_stt_provider_create(&vt, &h) == ROB_OK);
    auto rec = std::make_shared<ConfidenceRecorder>();
    providers::SttOptions o;
    o.sample_rate_hz = 16000;
    auto stream = h->impl->open(o, rec);
    REQUIRE(stream.ok());
    REQUIRE(sink != nullptr);

    CHECK(rob_stt_sink_transcript_confidence(sink, "sales", 5, 0, 0.25) == ROB_OK);
    CHECK(rob_stt_sink_transcript_confidence(sink, "sales please", 12, 1, 0.875) == ROB_OK);
    CHECK(rob_stt_sink_transcript_confidence(sink, "zero", 4, 1, 0.0) == ROB_OK);
    CHECK(rob_stt_sink_transcript_confidence(sink, "one", 3, 1, 1.0) == ROB_OK);
    // Any negative value is unknown, as is the transcript without a confidence.
    CHECK(rob_stt_sink_transcript_confidence(sink, "minus", 5, 1, -0.5) == ROB_OK);
    CHECK(rob_stt_sink_transcript_confidence(sink, "unknown", 7, 1, ROB_CONFIDENCE_UNKNOWN) ==
          ROB_OK);
    CHECK(rob_stt_sink_transcript(sink, "plain", 5, 1) == ROB_OK);
    // Above 1 or NaN is a mistake of the host: refused, nothing delivered, the sink lives on.
    CHECK(rob_stt_sink_transcript_confidence(sink, "over", 4, 1, 1.0001) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stt_sink_transcript_confidence(sink, "nan", 3, 1, std::nan("")) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stt_sink_transcript_confidence(sink, nullptr, 3, 1, 0.5) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stt_sink_transcript_confidence(nullptr, "x", 1, 1, 0.5) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_stt_sink_transcript_confidence(sink, "after", 5, 1, 0.5) == ROB_OK);

    using T = std::pair<std::string, double>;
    CHECK(rec->transcripts == std::vector<T>{{"sales", 0.25},
                                             {"sales please", 0.875},
                                             {"zero", 0.0},
                                             {"one", 1.0},
                                             {"minus", providers::kUnknownConfidence},
                                             {"unknown", providers::kUnknownConfidence},
                                             {"plain", providers::kUnknownConfidence},
                                             {"after", 0.5}});
    (void)rob_stt_sink_release(sink);
    stream->reset();
    rob_stt_provider_destroy(h);
}

TEST_CASE("providers: C ABI local providers, pool and dialog") {
    rob_worker_pool* pool = nullptr;
    CHECK(rob_worker_pool_create(0, &pool) == ROB_ERR_INVALID_ARGUMENT);
    REQUIRE(rob_worker_pool_create(2, &pool) == ROB_OK);

    const std::string dialog = R"({"greeting": "Hi.", "fallback": "Pardon?",
        "intents": [{"when": ["sales"], "say": "Putting you through.", "transfer": "331"}]})";
    rob_llm_provider* llm = nullptr;
    REQUIRE(rob_llm_provider_create_scripted(dialog.data(), dialog.size(), &llm) == ROB_OK);
    CHECK(std::string(rob_llm_provider_name(llm)) == "scripted");
    auto rec = std::make_shared<LlmRecorder>();
    providers::LlmRequest r;
    r.messages = {{providers::Role::user, "sales please"}};
    auto req = llm->impl->start(r, rec);
    REQUIRE(req.ok());
    CHECK(rec->text == "Putting you through.");
    CHECK(rec->events.back() == "done");
    CHECK(rec->events.at(rec->events.size() - 2) == "a:transfer:331");
    rob_llm_provider_destroy(llm);

    const std::string bad =
        R"({"greeting": "Hi.", "fallback": "?", "intents": [{"when": ["a"], "say": 3}]})";
    llm = nullptr;
    CHECK(rob_llm_provider_create_scripted(bad.data(), bad.size(), &llm) < 0);
    CHECK(llm == nullptr);
    CHECK(std::string(rob_last_error_message()).find("intents") != std::string::npos);

    rob_dialog* d = nullptr;
    REQUIRE(rob_dialog_parse(dialog.data(), dialog.size(), &d) == ROB_OK);
    CHECK(std::string(rob_dialog_greeting(d)) == "Hi.");
    CHECK(std::string(rob_dialog_fallback(d)) == "Pardon?");
    REQUIRE(rob_dialog_phrase_count(d) == 1);
    CHECK(std::string(rob_dialog_phrase(d, 0)) == "sales");
    CHECK(rob_dialog_phrase(d, 1) == nullptr);
    REQUIRE(rob_dialog_reply_count(d) >= 1);
    CHECK(std::string(rob_dialog_reply(d, 0)) == "Putting you through.");
    rob_dialog_destroy(d);
    CHECK(rob_dialog_parse("{", 1, &d) < 0);
    rob_dialog_destroy(nullptr);

    // A cache in front of a C TTS: prewarm is refused for anything but a cache.
    CTts state;
    rob_tts_provider_vtable vt;
    rob_tts_provider_vtable_init(&vt, sizeof vt);
    vt.user_data = &state;
    vt.start = tts_start;
    vt.free_request = tts_free;
    rob_tts_provider* inner = nullptr;
    REQUIRE(rob_tts_provider_create(&vt, &inner) == ROB_OK);
    const char* phrases[] = {"Hi."};
    CHECK(rob_tts_provider_prewarm(inner, phrases, 1, 8000) == ROB_ERR_INVALID_ARGUMENT);
    rob_tts_provider* cached = nullptr;
    REQUIRE(rob_tts_provider_create_cached(inner, 0, &cached) == ROB_OK);
    rob_tts_provider_destroy(inner);  // the cache keeps it
    uint64_t bytes = 0, hits = 0, misses = 0;
    CHECK(rob_tts_provider_cache_stats(cached, &bytes, &hits, &misses) == ROB_OK);
    CHECK(hits == 0);
    for (int i = 0; i < 2; ++i) {
        auto tts_rec = std::make_shared<TtsRecorder>();
        providers::TtsRequest t;
        t.text = "Same words.";
        t.sample_rate_hz = 8000;
        auto tr = cached->impl->synthesize(t, tts_rec);
        REQUIRE(tr.ok());
        CHECK(tts_rec->samples == 240);
        CHECK(tts_rec->done == 1);
    }
    CHECK(rob_tts_provider_cache_stats(cached, &bytes, &hits, &misses) == ROB_OK);
    CHECK(hits == 1);
    CHECK(misses == 1);
    CHECK(bytes >= 480);
    rob_tts_provider_destroy(cached);
    rob_worker_pool_destroy(pool);
}
