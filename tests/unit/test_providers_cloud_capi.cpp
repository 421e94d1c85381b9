// The cloud providers through the C ABI: params defaults, the shared client, creation and its
// refusals, a request to a closed port failing through the library's sink, and a server that
// takes the client (its /metrics counts the client's failures).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/providers.hpp"

namespace providers = ringoverbot::providers;

namespace {

// Nothing listens on port 1: the connection is refused at once, no network needed.
constexpr const char* kClosedPort = "http://127.0.0.1:1/v1";
constexpr const char* kSecret = "sk-never-logged-7f3a";

struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    static void sink(int32_t, const char* line, size_t len, void* ud) {
        auto* self = static_cast<LogLines*>(ud);
        CHECK(std::strlen(line) == len);
        std::lock_guard lock(self->mutex);
        self->lines.emplace_back(line, len);
    }
    std::vector<std::string> copy() {
        std::lock_guard lock(mutex);
        return lines;
    }
};

struct ErrorRecorder : providers::LlmSink {
    std::mutex mutex;
    std::vector<std::string> events;
    void on_token(std::string_view) override { add("token"); }
    void on_action(const providers::Action&) override { add("action"); }
    void on_done() override { add("done"); }
    void on_error(const ringoverbot::Error& e) override {
        add("error:" + std::to_string(static_cast<int>(e.code)) + ":" + e.message);
    }
    void add(std::string e) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(e));
    }
    std::vector<std::string> copy() {
        std::lock_guard lock(mutex);
        return events;
    }
};

rob_cloud_client* make_client(LogLines* log = nullptr) {
    rob_cloud_client_params p;
    rob_cloud_client_params_init(&p, sizeof p);
    if (log != nullptr) {
        p.log = LogLines::sink;
        p.log_user_data = log;
        p.min_log_level = ROB_LOG_DEBUG;  // bodies and headers too: the key must still not show
    }
    rob_cloud_client* c = nullptr;
    REQUIRE(rob_cloud_client_create(&p, &c) == ROB_OK);
    REQUIRE(c != nullptr);
    return c;
}

std::string last_error() {
    return rob_last_error_message();
}

}  // namespace

TEST_CASE("providers: C ABI cloud params defaults are the C++ defaults") {
    const providers::CloudTimeouts t;

    rob_openai_llm_params llm;
    std::memset(&llm, 0xAB, sizeof llm);
    rob_openai_llm_params_init(&llm, sizeof llm);
    const providers::OpenAiLlmOptions lo;
    CHECK(llm.struct_size == sizeof llm);
    CHECK(llm.base_url == nullptr);
    CHECK(llm.api_key == nullptr);
    CHECK(llm.model == nullptr);
    CHECK(llm.temperature == lo.temperature);
    CHECK(llm.max_tokens == lo.max_tokens);
    CHECK(llm.tools == 1);
    CHECK(llm.connect_timeout_ms == t.connect_ms);
    CHECK(llm.first_byte_timeout_ms == t.first_byte_ms);
    CHECK(llm.total_timeout_ms == t.total_ms);
    CHECK(llm.max_attempts == t.max_attempts);

    rob_deepgram_stt_params dg;
    rob_deepgram_stt_params_init(&dg, sizeof dg);
    const providers::DeepgramSttOptions dgo;
    CHECK(dg.endpointing_ms == dgo.endpointing_ms);
    CHECK(dg.utterance_end_ms == dgo.utterance_end_ms);
    CHECK(dg.interim_results == 1);
    CHECK(dg.vad_events == 1);
    CHECK(dg.keepalive_ms == dgo.keepalive_ms);
    CHECK(dg.first_byte_timeout_ms == t.first_byte_ms);

    rob_openai_stt_params os;
    rob_openai_stt_params_init(&os, sizeof os);
    CHECK(os.preroll_ms == providers::OpenAiSttOptions{}.preroll_ms);
    CHECK(os.max_turn_ms == providers::OpenAiSttOptions{}.max_turn_ms);
    CHECK(os.language == nullptr);

    rob_elevenlabs_tts_params el;
    rob_elevenlabs_tts_params_init(&el, sizeof el);
    CHECK(el.voice_id == nullptr);
    CHECK(el.max_attempts == t.max_attempts);

    rob_openai_tts_params ot;
    rob_openai_tts_params_init(&ot, sizeof ot);
    CHECK(ot.speed == 1.0);
    CHECK(ot.total_timeout_ms == t.total_ms);

    rob_cloud_client_params cp;
    std::memset(&cp, 0xAB, sizeof cp);
    rob_cloud_client_params_init(&cp, sizeof cp);
    CHECK(cp.ca_file == nullptr);
    CHECK(cp.no_proxy_count == 0);
    CHECK(cp.min_log_level == ROB_LOG_INFO);
    CHECK(!cp.log);

    // An older caller's shorter struct: only its own bytes are written.
    rob_openai_llm_params shorter;
    std::memset(&shorter, 0xAB, sizeof shorter);
    rob_openai_llm_params_init(&shorter, offsetof(rob_openai_llm_params, temperature));
    CHECK(shorter.struct_size == offsetof(rob_openai_llm_params, temperature));
    CHECK(shorter.model == nullptr);
    CHECK(shorter.max_attempts == 0xABABABABu);

    CHECK(rob_struct_size(ROB_STRUCT_CLOUD_CLIENT_PARAMS) == sizeof(rob_cloud_client_params));
    CHECK(rob_struct_size(ROB_STRUCT_OPENAI_LLM_PARAMS) == sizeof(rob_openai_llm_params));
    CHECK(rob_struct_size(ROB_STRUCT_DEEPGRAM_STT_PARAMS) == sizeof(rob_deepgram_stt_params));
    CHECK(rob_struct_size(ROB_STRUCT_OPENAI_STT_PARAMS) == sizeof(rob_openai_stt_params));
    CHECK(rob_struct_size(ROB_STRUCT_ELEVENLABS_TTS_PARAMS) == sizeof(rob_elevenlabs_tts_params));
    CHECK(rob_struct_size(ROB_STRUCT_OPENAI_TTS_PARAMS) == sizeof(rob_openai_tts_params));
    rob_openai_llm_params_init(nullptr, 0);  // harmless
}

TEST_CASE("providers: C ABI cloud client creation and refusals") {
    rob_cloud_client* c = nullptr;
    CHECK(rob_cloud_client_create(nullptr, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    REQUIRE(rob_cloud_client_create(nullptr, &c) == ROB_OK);  // NULL params = the defaults
    uint64_t n = 99;
    CHECK(rob_cloud_client_error_count(c, nullptr, nullptr, &n) == ROB_OK);
    CHECK(n == 0);
    CHECK(rob_cloud_client_error_count(c, nullptr, nullptr, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_cloud_client_error_count(nullptr, nullptr, nullptr, &n) == ROB_ERR_INVALID_ARGUMENT);
    rob_cloud_client_destroy(c);
    rob_cloud_client_destroy(nullptr);

    rob_cloud_client_params p;
    rob_cloud_client_params_init(&p, sizeof p);
    p.ca_file = "/nonexistent/ca.pem";
    c = nullptr;
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(c == nullptr);
    CHECK(last_error().find("ca.pem") != std::string::npos);

    rob_cloud_client_params_init(&p, sizeof p);
    p.https_proxy = "not a url";
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(!last_error().empty());

    rob_cloud_client_params_init(&p, sizeof p);
    p.no_proxy_count = 2;  // with no array
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("no_proxy") != std::string::npos);
    const char* hosts[] = {"localhost", nullptr};
    p.no_proxy = hosts;
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);

    rob_cloud_client_params_init(&p, sizeof p);
    p.min_log_level = 7;
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("min_log_level") != std::string::npos);
    CHECK(c == nullptr);

    rob_cloud_client_params_init(&p, sizeof p);
    p.struct_size = 2;  // not even its own size field
    CHECK(rob_cloud_client_create(&p, &c) == ROB_ERR_INVALID_ARGUMENT);
}

TEST_CASE("providers: C ABI cloud providers are made on a client") {
    rob_cloud_client* client = make_client();

    rob_openai_llm_params lp;
    rob_openai_llm_params_init(&lp, sizeof lp);
    lp.api_key = kSecret;
    rob_llm_provider* llm = nullptr;
    CHECK(rob_llm_provider_create_openai(&lp, nullptr, &llm) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("client") != std::string::npos);
    CHECK(llm == nullptr);
    CHECK(rob_llm_provider_create_openai(&lp, client, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    lp.base_url = "ws://127.0.0.1:1/v1";
    CHECK(rob_llm_provider_create_openai(&lp, client, &llm) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("base URL") != std::string::npos);
    CHECK(llm == nullptr);
    lp.base_url = "http://";
    CHECK(rob_llm_provider_create_openai(&lp, client, &llm) == ROB_ERR_INVALID_ARGUMENT);
    lp.base_url = nullptr;
    lp.model = "";
    CHECK(rob_llm_provider_create_openai(&lp, client, &llm) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("model") != std::string::npos);
    CHECK(rob_llm_provider_create_openai(nullptr, client, &llm) == ROB_OK);  // the defaults
    CHECK(std::string(rob_llm_provider_name(llm)).find("openai") != std::string::npos);
    rob_llm_provider_destroy(llm);

    rob_deepgram_stt_params dp;
    rob_deepgram_stt_params_init(&dp, sizeof dp);
    rob_stt_provider* stt = nullptr;
    dp.base_url = "https://api.deepgram.com/v1";  // a WebSocket is required
    CHECK(rob_stt_provider_create_deepgram(&dp, client, &stt) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("base URL") != std::string::npos);
    CHECK(rob_stt_provider_create_deepgram(&dp, nullptr, &stt) == ROB_ERR_INVALID_ARGUMENT);
    dp.base_url = "ws://127.0.0.1:1/v1";
    REQUIRE(rob_stt_provider_create_deepgram(&dp, client, &stt) == ROB_OK);
    CHECK(stt->impl->sample_rate_hz() == 0);  // the line's own rate
    rob_stt_provider_destroy(stt);

    rob_openai_stt_params osp;
    rob_openai_stt_params_init(&osp, sizeof osp);
    osp.max_turn_ms = 10;  // below 1000
    stt = nullptr;
    CHECK(rob_stt_provider_create_openai(&osp, client, &stt) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("max_turn_ms") != std::string::npos);
    rob_openai_stt_params_init(&osp, sizeof osp);
    osp.base_url = kClosedPort;
    REQUIRE(rob_stt_provider_create_openai(&osp, client, &stt) == ROB_OK);
    CHECK(stt->impl->sample_rate_hz() == 16000);
    rob_stt_provider_destroy(stt);

    rob_elevenlabs_tts_params ep;
    rob_elevenlabs_tts_params_init(&ep, sizeof ep);
    ep.voice_id = "";
    rob_tts_provider* tts = nullptr;
    CHECK(rob_tts_provider_create_elevenlabs(&ep, client, &tts) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(last_error().find("voice_id") != std::string::npos);
    ep.voice_id = nullptr;
    REQUIRE(rob_tts_provider_create_elevenlabs(&ep, client, &tts) == ROB_OK);
    rob_tts_provider_destroy(tts);

    rob_openai_tts_params tp;
    rob_openai_tts_params_init(&tp, sizeof tp);
    tp.base_url = "wss://api.openai.com/v1";
    tts = nullptr;
    CHECK(rob_tts_provider_create_openai(&tp, client, &tts) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_tts_provider_create_openai(&tp, nullptr, &tts) == ROB_ERR_INVALID_ARGUMENT);
    tp.base_url = kClosedPort;
    REQUIRE(rob_tts_provider_create_openai(&tp, client, &tts) == ROB_OK);
    // The provider keeps the client: the handle may go first.
    rob_cloud_client_destroy(client);
    rob_tts_provider_destroy(tts);
}

TEST_CASE(
    "providers: C ABI cloud LLM on a closed port fails through its sink and counts in a server's "
    "metrics") {
    LogLines log;
    rob_cloud_client* client = make_client(&log);
    rob_openai_llm_params lp;
    rob_openai_llm_params_init(&lp, sizeof lp);
    lp.base_url = kClosedPort;
    lp.api_key = kSecret;
    lp.max_attempts = 1;
    rob_llm_provider* llm = nullptr;
    REQUIRE(rob_llm_provider_create_openai(&lp, client, &llm) == ROB_OK);

    auto rec = std::make_shared<ErrorRecorder>();
    providers::LlmRequest r;
    r.messages = {{providers::Role::user, "hello"}};
    auto req = llm->impl->start(r, rec);
    REQUIRE(req.ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (rec->copy().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto events = rec->copy();
    REQUIRE(events.size() == 1);
    CHECK(events[0].rfind("error:" + std::to_string(ROB_ERR_PROVIDER_FAILED) + ":", 0) == 0);
    uint64_t all = 0, openai = 0, connect = 0, other = 0;
    CHECK(rob_cloud_client_error_count(client, nullptr, nullptr, &all) == ROB_OK);
    CHECK(rob_cloud_client_error_count(client, "openai", nullptr, &openai) == ROB_OK);
    CHECK(rob_cloud_client_error_count(client, "openai", "connect", &connect) == ROB_OK);
    CHECK(rob_cloud_client_error_count(client, "deepgram", nullptr, &other) == ROB_OK);
    CHECK(all == 1);
    CHECK(openai == 1);
    CHECK(connect == 1);
    CHECK(other == 0);
    req->reset();
    rob_llm_provider_destroy(llm);

    // A server given the client shows its failures in /metrics; one without it does not.
    rob_server_params sp;
    rob_server_params_init(&sp, sizeof sp);
    CHECK(sp.cloud_client == nullptr);
    sp.port = 0;
    sp.cloud_client = client;
    rob_providers provs;
    rob_providers_init(&provs, sizeof provs);
    const std::string dialog = R"({"greeting": "Hi.", "fallback": "Pardon?", "intents": []})";
    REQUIRE(rob_llm_provider_create_scripted(dialog.data(), dialog.size(), &provs.llm) == ROB_OK);
    rob_openai_stt_params osp;
    rob_openai_stt_params_init(&osp, sizeof osp);
    osp.base_url = kClosedPort;
    REQUIRE(rob_stt_provider_create_openai(&osp, client, &provs.stt) == ROB_OK);
    rob_openai_tts_params tp;
    rob_openai_tts_params_init(&tp, sizeof tp);
    tp.base_url = kClosedPort;
    REQUIRE(rob_tts_provider_create_openai(&tp, client, &provs.tts) == ROB_OK);
    for (int with_client = 1; with_client >= 0; --with_client) {
        if (!with_client) sp.cloud_client = nullptr;
        rob_server* server = nullptr;
        REQUIRE(rob_server_create(&sp, &provs, &server) == ROB_OK);
        char* text = nullptr;
        size_t len = 0;
        REQUIRE(rob_server_metrics_text(server, &text, &len) == ROB_OK);
        const std::string metrics(text, len);
        rob_free(text);
        const bool counted =
            metrics.find(
                R"(ringoverbot_provider_failures_total{provider="openai",kind="connect"} 1)") !=
            std::string::npos;
        CHECK(counted == (with_client == 1));
        rob_server_destroy(server);
    }
    rob_cloud_client_destroy(client);  // the providers keep it
    rob_stt_provider_destroy(provs.stt);
    rob_llm_provider_destroy(provs.llm);
    rob_tts_provider_destroy(provs.tts);

    const auto lines = log.copy();
    CHECK(!lines.empty());  // the failure was logged through the C sink
    for (const auto& line : lines) CHECK(line.find(kSecret) == std::string::npos);
}
