// The server through the C ABI: params, refusals with their reasons, run on one thread and
// stop from another, counters, /metrics, the log callback.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ringoverbot.h"

namespace {

constexpr const char* kDialog =
    R"({"greeting": "Hi.", "fallback": "Pardon?", "intents": [{"when": ["bye"], "say": "Bye.", "end": true}]})";

int tts_start(const rob_tts_request*, rob_tts_sink* sink, void** data, void*) {
    *data = nullptr;
    std::vector<int16_t> pcm(1600, 100);
    (void)rob_tts_sink_audio(sink, pcm.data(), pcm.size(), 16000);
    (void)rob_tts_sink_done(sink);
    return ROB_OK;
}
int stt_open(const rob_stt_options*, rob_stt_sink* sink, void** data, void*) {
    *data = sink;
    return ROB_OK;
}
void stt_push(void*, const int16_t*, size_t, void*) {}
void stt_turn(void* data, void*) {
    (void)rob_stt_sink_transcript(static_cast<rob_stt_sink*>(data), "", 0, 1);
}
void stt_free(void* data, void*) {
    (void)rob_stt_sink_release(static_cast<rob_stt_sink*>(data));
}

struct Providers {
    rob_stt_provider* stt = nullptr;
    rob_llm_provider* llm = nullptr;
    rob_tts_provider* tts = nullptr;
    Providers() {
        rob_stt_provider_vtable s;
        rob_stt_provider_vtable_init(&s, sizeof s);
        s.open = stt_open;
        s.push_audio = stt_push;
        s.end_of_turn = stt_turn;
        s.free_stream = stt_free;
        REQUIRE(rob_stt_provider_create(&s, &stt) == ROB_OK);
        REQUIRE(rob_llm_provider_create_scripted(kDialog, std::strlen(kDialog), &llm) == ROB_OK);
        rob_tts_provider_vtable t;
        rob_tts_provider_vtable_init(&t, sizeof t);
        t.start = tts_start;
        REQUIRE(rob_tts_provider_create(&t, &tts) == ROB_OK);
    }
    ~Providers() {
        rob_stt_provider_destroy(stt);
        rob_llm_provider_destroy(llm);
        rob_tts_provider_destroy(tts);
    }
    rob_providers set() const {
        rob_providers p;
        rob_providers_init(&p, sizeof p);
        p.stt = stt;
        p.llm = llm;
        p.tts = tts;
        return p;
    }
};

// One HTTP/1.1 GET over loopback; returns the whole response ("" on failure).
std::string http_get(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return "";
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
            char buf[4096];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
                out.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return out;
}

struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::atomic<bool> bad_terminator{false};
};

void on_log(int32_t level, const char* line, size_t len, void* ud) {
    auto* l = static_cast<LogLines*>(ud);
    if (line[len] != '\0' || level < ROB_LOG_DEBUG || level > ROB_LOG_ERROR) {
        l->bad_terminator = true;
    }
    std::lock_guard lock(l->mutex);
    l->lines.emplace_back(line, len);
}

}  // namespace

TEST_CASE("net: C ABI server params and refusals") {
    rob_server_params p;
    std::memset(&p, 0xAB, sizeof p);
    rob_server_params_init(&p, sizeof p);
    CHECK(p.struct_size == sizeof p);
    CHECK(p.port == 8765);
    CHECK(p.host == nullptr);
    CHECK(p.max_calls == 200);
    CHECK(p.drain_timeout_s == 30.0);
    CHECK(p.min_log_level == ROB_LOG_INFO);
    CHECK(rob_struct_size(ROB_STRUCT_SERVER_PARAMS) == sizeof(rob_server_params));

    Providers prov;
    const rob_providers set = prov.set();
    rob_server* s = nullptr;
    p.port = 70000;
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("port") != std::string::npos);
    p.port = 0;
    p.min_log_level = 9;
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    rob_server_params_init(&p, sizeof p);
    p.port = 0;
    CHECK(rob_server_create(&p, nullptr, &s) == ROB_ERR_INVALID_ARGUMENT);
    rob_call_params call;
    rob_call_params_init(&call, sizeof call);
    call.chunk_ms = 1;  // the call template is checked too
    p.call = &call;
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(s == nullptr);
    // The recording folder must exist.
    CHECK(p.recording_dir == nullptr);
    rob_server_params_init(&p, sizeof p);
    p.port = 0;
    p.recording_dir = "/nonexistent/recordings";
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("recording_dir") != std::string::npos);
    char* stem = nullptr;
    size_t stem_len = 0;
    REQUIRE(rob_recording_stem("42/x", 1767258000, &stem, &stem_len) == ROB_OK);
    CHECK(std::string(stem, stem_len) == "42_x-20260101T090000Z");
    rob_free(stem);
    CHECK(rob_recording_stem(nullptr, 0, nullptr, nullptr) == ROB_ERR_INVALID_ARGUMENT);

    // A port in use is an I/O error that says so.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    rob_server_params_init(&p, sizeof p);
    p.port = ntohs(a.sin_port);
    LogLines logs;
    p.log = on_log;  // quiet: the refusal goes to the log, not to stderr
    p.log_user_data = &logs;
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_IO);
    CHECK(std::string(rob_last_error_message()).find("in use") != std::string::npos);
    ::close(fd);

    rob_server_destroy(nullptr);
    rob_server_stop(nullptr);
    CHECK(rob_server_run(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_server_port(nullptr) == ROB_ERR_INVALID_ARGUMENT);
}

TEST_CASE("net: C ABI server runs on one thread and stops from another") {
    Providers prov;
    const rob_providers set = prov.set();
    LogLines logs;
    rob_server_params p;
    rob_server_params_init(&p, sizeof p);
    p.port = 0;
    p.drain_timeout_s = 1;
    p.log = on_log;
    p.log_user_data = &logs;
    p.min_log_level = ROB_LOG_DEBUG;
    rob_server* s = nullptr;
    REQUIRE(rob_server_create(&p, &set, &s) == ROB_OK);
    const int port = rob_server_port(s);
    CHECK(port > 0);
    std::atomic<int> run_rc{1};
    std::thread loop([&] { run_rc = rob_server_run(s); });

    std::string health;
    for (int i = 0; i < 100 && health.empty(); ++i) {
        health = http_get(port, "/health");
        if (health.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(health.find("\"status\":\"ok\"") != std::string::npos);
    CHECK(http_get(port, "/nowhere").rfind("HTTP/1.1 404", 0) == 0);

    rob_server_counters k;
    k.struct_size = sizeof k;
    REQUIRE(rob_server_stats(s, &k) == ROB_OK);
    CHECK(k.calls_active == 0);
    CHECK(k.draining == 0);
    char* text = nullptr;
    size_t text_len = 0;
    REQUIRE(rob_server_metrics_text(s, &text, &text_len) == ROB_OK);
    CHECK(std::strlen(text) == text_len);
    CHECK(std::string(text).find("# TYPE") != std::string::npos);
    rob_free(text);

    rob_server_stop(s);
    rob_server_stop(s);  // harmless
    loop.join();
    CHECK(run_rc == ROB_OK);
    CHECK(rob_server_run(s) == ROB_ERR_INVALID_STATE);  // once only
    rob_server_destroy(s);
    CHECK_FALSE(logs.bad_terminator);
    std::lock_guard lock(logs.mutex);
    REQUIRE_FALSE(logs.lines.empty());
    CHECK(logs.lines.front().front() == '{');
    bool stopped = false;
    for (const auto& l : logs.lines) stopped = stopped || l.find("stopped") != std::string::npos;
    CHECK(stopped);
}

TEST_CASE("net: C ABI server directory settings (redis_url and its periods)") {
    rob_server_params p;
    rob_server_params_init(&p, sizeof p);
    CHECK(p.redis_url == nullptr);
    CHECK(p.redis_heartbeat_s == 1.0);
    CHECK(p.redis_instance_ttl_s == 5.0);
    CHECK(p.redis_reaper_s == 2.0);
    CHECK(p.redis_timeout_s == 0.5);
    CHECK(p.redis_pending_ttl_s == 120.0);
    CHECK(p.redis_dedup_ttl_s == 600.0);
    Providers prov;
    const rob_providers set = prov.set();
    LogLines logs;
    p.log = on_log;
    p.log_user_data = &logs;
    p.port = 0;
    rob_server* s = nullptr;
    p.redis_url = "redis.example:6379";  // a host name would need a blocking DNS lookup
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("redis_url") != std::string::npos);
    p.redis_url = "127.0.0.1:6379";
    p.redis_instance_ttl_s = 0.5;  // not above the heartbeat
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("redis_instance_ttl_s") != std::string::npos);
    p.redis_instance_ttl_s = 5;
    p.instance_id = "bad id";
    CHECK(rob_server_create(&p, &set, &s) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("instance_id") != std::string::npos);

    // Nothing listens on port 1: the server starts all the same, the directory says it is down.
    p.redis_url = "127.0.0.1:1";
    p.instance_id = "capi-1";
    REQUIRE(rob_server_create(&p, &set, &s) == ROB_OK);
    rob_server_counters k;
    k.struct_size = sizeof k;
    REQUIRE(rob_server_stats(s, &k) == ROB_OK);
    CHECK(k.directory_up == 0);
    CHECK(k.calls_orphaned == 0);
    char* text = nullptr;
    REQUIRE(rob_server_metrics_text(s, &text, nullptr) == ROB_OK);
    CHECK(std::string(text).find("ringoverbot_directory_up 0") != std::string::npos);
    rob_free(text);
    rob_server_destroy(s);
}
