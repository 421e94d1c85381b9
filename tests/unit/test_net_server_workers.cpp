// A worker group's shared board and what the servers of a group answer (the supervisor's
// forking is tested end to end with the agent: tests/integration/test_agent_workers.py).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "net/server/metrics.hpp"
#include "net/server/routing.hpp"
#include "net/server/worker_board.hpp"
#include "ringoverbot/server.hpp"
#include "ringoverbot/workers.hpp"

using namespace ringoverbot;
using namespace ringoverbot::net;

namespace {

// Every Metrics field is a 64-bit atomic counter (histograms included): seen as words.
using Word = std::atomic<std::uint64_t>;
constexpr std::size_t kWords = sizeof(Metrics) / sizeof(Word);
static_assert(sizeof(Metrics) % sizeof(Word) == 0);
Word* words(Metrics& m) {
    return reinterpret_cast<Word*>(&m);
}

std::shared_ptr<const Worker> seat(const std::shared_ptr<WorkerBoard>& board, unsigned index,
                                   std::uint16_t port) {
    auto impl = std::make_unique<Worker::Impl>();
    impl->index = index;
    impl->host = "127.0.0.1";
    impl->port = port;
    impl->board = board;
    return std::make_shared<Worker>(std::move(impl));
}

// A port held the way the supervisor holds it: bound with SO_REUSEPORT, not listening.
struct HeldPort {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    std::uint16_t port = 0;
    HeldPort() {
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~HeldPort() { close(fd); }
};

class Done final : public providers::Request {
  public:
    void cancel() override {}
};
class NoStream final : public providers::SttStream {
  public:
    void send_audio(std::span<const std::int16_t>) override {}
    void end_of_turn() override {}
    void cancel() override {}
};
class NoStt final : public providers::SttProvider {
  public:
    std::string_view name() const override { return "none"; }
    Result<std::unique_ptr<providers::SttStream>> open(
        const providers::SttOptions&, std::shared_ptr<providers::SttSink>) override {
        return std::unique_ptr<providers::SttStream>(std::make_unique<NoStream>());
    }
};
class NoLlm final : public providers::LlmProvider {
  public:
    std::string_view name() const override { return "none"; }
    Result<std::unique_ptr<providers::Request>> start(
        const providers::LlmRequest&, std::shared_ptr<providers::LlmSink> sink) override {
        sink->on_done();
        return std::unique_ptr<providers::Request>(std::make_unique<Done>());
    }
};
class NoTts final : public providers::TtsProvider {
  public:
    std::string_view name() const override { return "none"; }
    Result<std::unique_ptr<providers::Request>> synthesize(
        const providers::TtsRequest&, std::shared_ptr<providers::TtsSink> sink) override {
        sink->on_done();
        return std::unique_ptr<providers::Request>(std::make_unique<Done>());
    }
};
agent::Providers fakes() {
    agent::Providers p;
    p.stt = std::make_shared<NoStt>();
    p.llm = std::make_shared<NoLlm>();
    p.tts = std::make_shared<NoTts>();
    return p;
}

class FixedCloudCounts final : public providers::CloudClient {
  public:
    explicit FixedCloudCounts(std::uint64_t timeouts) : timeouts_(timeouts) {}
    std::vector<ErrorCount> error_counts() const override {
        return {ErrorCount{"openai", "timeout", timeouts_}};
    }

  private:
    std::uint64_t timeouts_;
};

ServerConfig worker_config(std::shared_ptr<const Worker> w) {
    ServerConfig c;
    c.host = w->host();
    c.port = w->port();
    c.worker = std::move(w);
    c.max_calls = 10;
    c.call.greeting = "Hello.";
    c.min_level = LogLevel::error;
    c.log = [](LogLevel, std::string_view) {};
    return c;
}

std::string http_get(std::uint16_t port, const std::string& path) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    REQUIRE(send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[8192];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return got;
}

}  // namespace

TEST_CASE("net workers: a group's sum adds every counter of Metrics (a new one must be summed)") {
    Metrics one, total;
    for (std::size_t i = 0; i < kWords; ++i) words(one)[i].store(i + 1);
    total.add_from(one);
    total.add_from(one);
    std::size_t missed = 0;
    for (std::size_t i = 0; i < kWords; ++i) missed += words(total)[i].load() != 2 * (i + 1);
    CHECK(missed == 0);  // a counter Metrics::add_from forgets stays 0 here
}

TEST_CASE("net workers: the board sums its slots, counts the live workers, renders per worker") {
    auto made = WorkerBoard::create(3);
    REQUIRE(made.ok());
    WorkerBoard& board = **made;
    CHECK(board.count() == 3);
    board.slot(0).pid = 100;
    board.slot(0).ready = 1;
    board.slot(0).starts = 1;
    board.slot(0).metrics.calls_total = 4;
    board.slot(0).metrics.calls_active = 2;
    board.slot(1).pid = 101;
    board.slot(1).starts = 3;  // restarted twice
    board.slot(1).metrics.calls_total = 7;
    board.slot(1).metrics.stages[0].observe(0.2);
    board.slot(2).metrics.calls_total = 1;  // a dead worker's calls stay counted
    Metrics total;
    board.sum(total);
    CHECK(Metrics::get(total.calls_total) == 12);
    CHECK(Metrics::get(total.calls_active) == 2);
    CHECK(total.stages[0].count() == 1);
    const WorkerBoard::Summary s = board.summary();
    CHECK(s.alive == 2);
    CHECK(s.ready == 1);
    CHECK(s.restarts == 2);
    const std::string page = board.render_worker_series();
    CHECK(page.find("ringoverbot_workers 3\n") != std::string::npos);
    CHECK(page.find("ringoverbot_workers_alive 2\n") != std::string::npos);
    CHECK(page.find("ringoverbot_worker_calls_total{worker=\"1\"} 7\n") != std::string::npos);
    CHECK(page.find("ringoverbot_worker_calls_active{worker=\"0\"} 2\n") != std::string::npos);
    CHECK(page.find("ringoverbot_worker_restarts_total{worker=\"1\"} 2\n") != std::string::npos);
}

TEST_CASE("net workers: /health of a group names the worker and counts the group") {
    ServerStats st;
    st.calls_active = 3;
    WorkersHealth g;
    g.worker = 1;
    g.count = 2;
    g.alive = 2;
    g.ready = 1;
    g.restarts = 4;
    const std::string h = health_body(st, true, 20, 1, &g);
    CHECK(h.find(R"("calls":3,"max_calls":20)") != std::string::npos);
    CHECK(h.find(R"("worker":1,"workers":{"count":2,"alive":2,"ready":1,"restarts":4})") !=
          std::string::npos);
    CHECK(health_body(st, true, 20, 1).find("workers") == std::string::npos);
}

TEST_CASE("net workers: a worker's server must listen on its group's address") {
    auto board = WorkerBoard::create(1);
    REQUIRE(board.ok());
    ServerConfig c = worker_config(seat(*board, 0, 18765));
    CHECK(validate(c).empty());
    c.port = 18766;
    CHECK(validate(c).find("port: a worker serves on its group's address 127.0.0.1:18765") == 0);
    CHECK_FALSE(validate_config(c).ok());
}

TEST_CASE("net workers: two workers' servers share one port and answer for the group") {
    auto board = WorkerBoard::create(2);
    REQUIRE(board.ok());
    HeldPort held;
    // Worker 1 took calls before (its counters live in the board, as after a restart).
    (*board)->slot(1).metrics.calls_total = 5;
    ServerConfig config_a = worker_config(seat(*board, 0, held.port));
    config_a.cloud_client = std::make_shared<FixedCloudCounts>(2);
    auto a = Server::create(config_a, fakes());
    REQUIRE(a.ok());
    // Without the listen share the second bind would fail with "Address already in use".
    ServerConfig config_b = worker_config(seat(*board, 1, held.port));
    config_b.cloud_client = std::make_shared<FixedCloudCounts>(3);
    auto b = Server::create(config_b, fakes());
    REQUIRE_MESSAGE(b.ok(), (b.ok() ? std::string() : b.error().message));
    CHECK((*a)->port() == held.port);
    CHECK((*b)->port() == held.port);
    (*board)->slot(0).pid = 1;  // what the supervisor records
    (*board)->slot(1).pid = 2;
    Status ran_a, ran_b;
    std::thread loop_a([&] { ran_a = (*a)->run(); });
    std::thread loop_b([&] { ran_b = (*b)->run(); });
    // Each loop publishes its readiness as it starts.
    for (int i = 0; i < 200 && (*board)->summary().ready < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));

    const std::string health = http_get(held.port, "/health");
    CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(health.find(R"("calls_total":5)") != std::string::npos);
    CHECK(health.find(R"("max_calls":20)") != std::string::npos);  // 10 per worker
    CHECK(health.find(R"("workers":{"count":2,"alive":2,"ready":2,"restarts":0})") !=
          std::string::npos);
    const std::string metrics = http_get(held.port, "/metrics");
    CHECK(metrics.find("\nringoverbot_calls_total 5\n") != std::string::npos);
    CHECK(metrics.find("\nringoverbot_calls_max 20\n") != std::string::npos);
    CHECK(metrics.find("ringoverbot_worker_calls_total{worker=\"1\"} 5\n") != std::string::npos);
    CHECK((*a)->metrics_text().find("\nringoverbot_calls_total 5\n") != std::string::npos);
    // Both servers publish their cloud failures as their loops start: the group's are summed.
    CHECK((*a)->metrics_text().find(
              "ringoverbot_provider_failures_total{provider=\"openai\",kind=\"timeout\"} 5\n") !=
          std::string::npos);
    CHECK((*a)->stats().calls_total == 0);  // stats() stays the process's own

    (*a)->request_stop();
    (*b)->request_stop();
    loop_a.join();
    loop_b.join();
    CHECK(ran_a.ok());
    CHECK(ran_b.ok());
    CHECK((*board)->slot(0).draining.load() == 1);
}

TEST_CASE("net workers: bad supervisor settings are refused before anything is bound") {
    WorkersConfig c;
    c.host = "localhost";
    auto r = run_workers(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().message.find("not an IP address") != std::string::npos);
    c.host = "127.0.0.1";
    c.count = 5000;
    CHECK_FALSE(run_workers(c).ok());
    c.count = 2;
    c.stop_timeout_s = 0;
    CHECK_FALSE(run_workers(c).ok());
    CHECK(available_cores() >= 1);
}

TEST_CASE("net workers: a port held by another program is an error before any fork") {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    WorkersConfig c;
    c.count = 2;
    c.port = ntohs(a.sin_port);
    auto r = run_workers(c);
    close(fd);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::io);
    CHECK(r.error().message.find("Address already in use") != std::string::npos);
}

TEST_CASE("net workers: cloud failures are summed over the workers and survive a restart") {
    auto made = WorkerBoard::create(2);
    REQUIRE(made.ok());
    WorkerBoard& board = **made;
    using Row = providers::CloudClient::ErrorCount;
    board.publish_cloud(0, {}, {Row{"openai", "timeout", 2}, Row{"deepgram", "connect", 1}});
    board.publish_cloud(1, {}, {Row{"openai", "timeout", 3}});
    board.publish_cloud(0, {}, {Row{"openai", "timeout", 4}, Row{"deepgram", "connect", 1}});
    auto count = [](const WorkerBoard::CloudCounts& rows, const std::string& p,
                    const std::string& k) {
        for (const auto& r : rows)
            if (r.provider == p && r.kind == k) return r.count;
        return std::uint64_t{0};
    };
    auto sum = board.cloud_sum();
    CHECK(count(sum, "openai", "timeout") == 7);
    CHECK(count(sum, "deepgram", "connect") == 1);
    // Worker 1 restarts: its new client counts from 0, on top of what its slot held.
    const auto base = board.cloud_of(1);
    board.publish_cloud(1, base, {Row{"openai", "timeout", 1}});
    CHECK(count(board.cloud_sum(), "openai", "timeout") == 8);
    // A name longer than the board holds is not shared (and breaks nothing).
    board.publish_cloud(1, base, {Row{std::string(40, 'x'), "timeout", 9}});
    CHECK(count(board.cloud_sum(), std::string(40, 'x'), "timeout") == 0);
}
