// The Server in-process over loopback (port 0): what the C ABI and other embedders rely on,
// under the sanitizers of the unit-test build. Providers are small fakes that answer at once.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/client/client.hpp"
#include "ringoverbot/server.hpp"
#include "test_webhook_util.hpp"

using namespace ringoverbot;

namespace {

class Done final : public providers::Request {
  public:
    void cancel() override {}
};

class QuietStream final : public providers::SttStream {
  public:
    explicit QuietStream(std::shared_ptr<providers::SttSink> sink) : sink_(std::move(sink)) {}
    void send_audio(std::span<const std::int16_t>) override {}
    void end_of_turn() override { sink_->on_transcript("", true, 1.0); }
    void cancel() override {}

  private:
    std::shared_ptr<providers::SttSink> sink_;
};

class QuietStt final : public providers::SttProvider {
  public:
    std::string_view name() const override { return "quiet"; }
    Result<std::unique_ptr<providers::SttStream>> open(
        const providers::SttOptions&, std::shared_ptr<providers::SttSink> sink) override {
        return std::unique_ptr<providers::SttStream>(std::make_unique<QuietStream>(sink));
    }
};

class EchoLlm final : public providers::LlmProvider {
  public:
    std::string_view name() const override { return "echo"; }
    Result<std::unique_ptr<providers::Request>> start(
        const providers::LlmRequest&, std::shared_ptr<providers::LlmSink> sink) override {
        sink->on_token("Fine.");
        sink->on_done();
        return std::unique_ptr<providers::Request>(std::make_unique<Done>());
    }
};

// 300 ms of a 440 Hz-ish square wave at 8 kHz per request.
class ToneTts final : public providers::TtsProvider {
  public:
    std::string_view name() const override { return "tone"; }
    Result<std::unique_ptr<providers::Request>> synthesize(
        const providers::TtsRequest&, std::shared_ptr<providers::TtsSink> sink) override {
        std::vector<std::int16_t> pcm(2400);
        for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = (i / 9) % 2 ? 8000 : -8000;
        sink->on_audio(pcm, 8000);
        sink->on_done();
        return std::unique_ptr<providers::Request>(std::make_unique<Done>());
    }
};

agent::Providers fakes() {
    agent::Providers p;
    p.stt = std::make_shared<QuietStt>();
    p.llm = std::make_shared<EchoLlm>();
    p.tts = std::make_shared<ToneTts>();
    return p;
}

net::ServerConfig config() {
    net::ServerConfig c;
    c.port = 0;
    c.call.greeting = "Hello.";
    c.min_level = net::LogLevel::error;
    c.log = [](net::LogLevel, std::string_view) {};
    return c;
}

int connect_to(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// Reads until `needle` shows up, the peer closes, or 5 s pass.
std::string read_until(int fd, const std::string& needle) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

void send_all(int fd, const std::string& s) {
    REQUIRE(send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

// One masked client text frame (payload < 126 bytes).
std::string ws_text(const std::string& payload) {
    std::string f;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(0x80 | payload.size()));
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(payload[i] ^ mask[i % 4]);
    return f;
}

}  // namespace

TEST_CASE("net: server create refuses bad settings and a port in use, with the reason") {
    auto bad = config();
    bad.max_calls = 0;
    auto r = net::Server::create(bad, fakes());
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Errc::invalid_argument);
    CHECK(r.error().message.rfind("max_calls", 0) == 0);

    auto none = net::Server::create(config(), agent::Providers{});
    REQUIRE_FALSE(none.ok());
    CHECK(none.code() == Errc::invalid_argument);

    auto first = net::Server::create(config(), fakes());
    REQUIRE(first.ok());
    const std::uint16_t port = (*first)->port();
    CHECK(port != 0);
    CHECK((*first)->url() == "http://127.0.0.1:" + std::to_string(port));
    auto taken = config();
    taken.port = port;
    auto second = net::Server::create(taken, fakes());
    REQUIRE_FALSE(second.ok());
    CHECK(second.code() == Errc::io);
    CHECK(second.error().message.find("in use") != std::string::npos);
}

TEST_CASE("net: server serves health and a streamer call on its loop thread, then stops") {
    auto created = net::Server::create(config(), fakes());
    REQUIRE(created.ok());
    net::Server& server = **created;
    Status ran;
    std::thread loop([&] { ran = server.run(); });

    const int http = connect_to(server.port());
    send_all(http, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string health = read_until(http, "}");
    close(http);
    CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(health.find(R"("status":"ok")") != std::string::npos);

    const int ws = connect_to(server.port());
    send_all(ws,
             "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    CHECK(read_until(ws, "\r\n\r\n").rfind("HTTP/1.1 101", 0) == 0);
    send_all(ws, ws_text(R"({"event":"call_start","call_id":"42"})"));
    const std::string audio = read_until(ws, R"("type":"streamAudio")");
    CHECK(audio.find(R"("sampleRate":8000)") != std::string::npos);
    CHECK(server.stats().calls_active == 1);

    // Stop with the call live: the drain waits for it; the peer leaving ends it.
    server.request_stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(server.stats().draining);
    close(ws);
    loop.join();
    CHECK(ran.ok());
    const net::ServerStats s = server.stats();
    CHECK(s.calls_total == 1);
    CHECK(s.calls_active == 0);
    CHECK(s.frames_in == 1);
    CHECK(s.frames_out >= 1);
    CHECK(server.metrics_text().find("ringoverbot_calls_total 1\n") != std::string::npos);
    CHECK_FALSE(server.run().ok());  // once only
}

namespace {

// Records the thread each handler call ran on, and the outcome.
struct ThreadProbe final : net::HttpHandler {
    std::mutex mu;
    std::condition_variable cv;
    std::thread::id thread;
    int status = 0;
    std::string body;
    std::optional<net::FailureKind> failure;
    bool done = false;
    void on_response(int s) override {
        std::lock_guard lock(mu);
        status = s;
        thread = std::this_thread::get_id();
    }
    void on_body(std::span<const std::uint8_t> d) override {
        std::lock_guard lock(mu);
        body.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    void on_complete() override { end({}); }
    void on_failure(const net::Failure& f) override { end(f.kind); }
    void end(std::optional<net::FailureKind> kind) {
        std::lock_guard lock(mu);
        failure = kind;
        thread = std::this_thread::get_id();
        done = true;
        cv.notify_all();
    }
    bool wait() {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; });
    }
};

net::HttpRequest get_health(std::uint16_t port) {
    net::HttpRequest r;
    r.provider = "probe";
    r.method = "GET";
    r.url = *net::parse_url("http://127.0.0.1:" + std::to_string(port) + "/health");
    r.deadlines = net::Deadlines{2000, 2000, 4000};
    return r;
}

}  // namespace

TEST_CASE("net: server hosts the cloud client: its requests run on the server's loop thread") {
    net::CloudClientConfig cc;
    cc.log = [](net::LogLevel, std::string_view) {};
    auto made = net::ClientLoop::create(cc);
    REQUIRE(made.ok());
    std::shared_ptr<net::ClientLoop> client = *made;
    net::ServerConfig sc = config();
    sc.cloud_client = client;
    auto created = net::Server::create(sc, fakes());
    REQUIRE(created.ok());
    net::Server& server = **created;
    std::thread::id loop_thread;
    std::thread loop([&] {
        loop_thread = std::this_thread::get_id();
        (void)server.run();
    });
    const std::uint16_t port = server.port();
    // Once the server answers, run() has taken the client in (before its first service).
    const int raw = connect_to(port);
    send_all(raw, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(read_until(raw, "}").rfind("HTTP/1.1 200", 0) == 0);
    close(raw);

    // The server's own /health, fetched by the hosted client: one loop does both sides.
    auto probe = std::make_shared<ThreadProbe>();
    auto request = client->http(get_health(port), probe);
    REQUIRE(probe->wait());
    CHECK_FALSE(probe->failure.has_value());
    CHECK(probe->status == 200);
    CHECK(probe->body.find(R"("status":"ok")") != std::string::npos);
    CHECK(probe->thread == loop_thread);

    server.request_stop();
    loop.join();
    created.value().reset();
    // The server is gone: the client goes back to a loop of its own and still works.
    auto after = std::make_shared<ThreadProbe>();
    auto request2 = client->http(get_health(port), after);
    REQUIRE(after->wait());
    CHECK(after->failure == net::FailureKind::connect);
    // (The server's thread has ended, so its id may be reused: only the test thread is known.)
    CHECK(after->thread != std::this_thread::get_id());
}

TEST_CASE("net: a webhook its handler answered 5xx is taken again when the sender retries") {
    // Ringover retries what got no 2xx with a higher `attempt`. The verifier had recorded the
    // first delivery as accepted, so the retry used to be refused as a duplicate (2xx, no
    // effect): the event was lost. (Seen with Redis paused: 503 directory_unavailable.)
    net::ServerConfig c = config();
    c.public_url = "http://bot.test";
    c.webhook.call_events_key = std::string(webhook_test::key);
    std::vector<std::string> attempts;  // loop thread only, read after the join
    c.on_webhook = [&](const webhook::Event& e) {
        attempts.emplace_back(e.field(webhook::Field::attempt).value_or(""));
        return net::WebhookReply{attempts.size() == 1 ? 503 : 200, {}};
    };
    auto created = net::Server::create(c, fakes());
    REQUIRE(created.ok());
    net::Server& server = **created;
    std::thread loop([&] { (void)server.run(); });

    const auto post = [&](int attempt) {
        const std::string body = R"({"resource":"call","event":"hangup","timestamp":1767258061,)"
                                 R"("attempt":)" +
                                 std::to_string(attempt) +
                                 R"(,"data":{"call_id":8812004471932250113}})";
        const std::string ts = std::to_string(static_cast<long long>(std::time(nullptr)));
        const std::string sig = webhook_test::v3_signature(
            webhook_test::key, "POST", "http://bot.test/webhooks/ringover", body, ts);
        const int fd = connect_to(server.port());
        send_all(fd,
                 "POST /webhooks/ringover HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "application/json\r\nX-Ringover-Webhook-Signature-V3: " +
                     sig + "\r\nX-Ringover-Request-Signature-V3-Timestamp: " + ts +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body);
        const std::string reply = read_until(fd, "\r\n\r\n");
        close(fd);
        return reply.substr(0, reply.find("\r\n"));
    };
    CHECK(post(1) == "HTTP/1.1 503 Service Unavailable");
    CHECK(post(2) == "HTTP/1.1 200 OK");  // taken: before the fix, 200 as a duplicate
    CHECK(post(3) == "HTTP/1.1 200 OK");  // a duplicate of an event acted upon
    server.request_stop();
    loop.join();
    CHECK(attempts == std::vector<std::string>{"1", "2"});
}
