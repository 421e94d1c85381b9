// The cloud client's internals: the loop (one lws client context on its own thread), the
// requests it runs (a Job each, across its attempts), the command mailbox other threads post
// to, and the resolver threads. Everything in a Job belongs to the loop thread; other threads
// reach a request only through its id and its Token.
#pragma once

#include <libwebsockets.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/client/client.hpp"
#include "net/log.hpp"

namespace ringoverbot::net::client_detail {

using Clock = std::chrono::steady_clock;

class Impl;

// What a request's handle shares with the loop: its id and whether it was cancelled (checked
// before every handler call, so a cancel on the loop thread takes effect at once).
struct Token {
    explicit Token(std::uint64_t i) : id(i) {}
    const std::uint64_t id;
    std::atomic<bool> cancelled{false};
};

// Commands from any thread to the loop. Outlives the loop (handles keep it), so a handle
// destroyed after the loop posts into nothing.
class Mailbox {
  public:
    using Command = std::function<void(Impl&)>;
    void attach(lws_context* ctx);
    void detach();
    void post(Command command);
    void take(std::deque<Command>& out);

  private:
    std::mutex mu_;
    lws_context* ctx_ = nullptr;
    std::deque<Command> commands_;
};

struct Job;
// An lws timer of a job; the sul comes first so the callback can cast back to it.
struct JobTimer {
    lws_sorted_usec_list_t sul{};
    Job* job = nullptr;
    Impl* impl = nullptr;
};

enum class Phase : int { resolving, connecting, waiting_headers, body, open, backoff };

struct OutMessage {
    std::vector<std::uint8_t> data;  // as the sender gave it (an audio frame moves, no copy)
    bool binary = false;
};

struct Job {
    std::uint64_t id = 0;
    bool is_ws = false;
    std::shared_ptr<Token> token;
    std::string provider;
    Url url;
    std::vector<Header> headers;
    Deadlines deadlines;
    RetryPolicy retry;
    bool may_retry = false;  // idempotent HTTP / WS retry_connect
    // HTTP
    std::string method, content_type, body;
    std::shared_ptr<HttpHandler> http_handler;
    // WebSocket
    std::size_t max_message_bytes = 0;
    std::shared_ptr<WsHandler> ws_handler;

    // The current attempt (1-based) and its connection.
    std::uint32_t attempt = 0;
    Phase phase = Phase::resolving;
    lws* wsi = nullptr;
    bool connecting_now = false;        // inside lws_client_connect_via_info
    std::string* sync_error = nullptr;  // where a connection error inside it is kept
    bool attempt_over = false;          // this attempt has been reported (failure or end)
    bool delivered = false;             // the handler got on_response/on_body/on_open: no retry
    bool proxied = false;
    Clock::time_point started{}, attempt_started{};
    std::string address, host_header, path;  // the strings lws was given for this attempt
    JobTimer connect_timer, first_byte_timer, total_timer, backoff_timer;
    // HTTP response of the attempt
    int status = 0;
    int retry_after_s = -1;
    std::string error_body;   // non-2xx bodies, capped at 4 KiB
    std::string logged_body;  // the first 2 KiB of a 2xx body, for the debug log
    std::size_t body_sent = 0;
    // WebSocket state
    std::deque<OutMessage> outq;
    std::vector<unsigned char> tx;  // LWS_PRE + the message being written; reused
    bool close_wanted = false;
    bool close_sent = false;
    std::string rx;
    bool rx_binary = false;
    bool rx_in_message = false;
    int peer_close_code = 0;
};

// The loop's state. The loop thread holds a reference to it, so the public ClientLoop (a thin
// facade) may be destroyed on any thread, the loop thread included (it then lets the thread
// finish on its own instead of joining itself).
class Impl : public std::enable_shared_from_this<Impl> {
  public:
    Impl(ClientConfig config, std::string proxy_host, std::uint16_t proxy_port);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    // Checks and starts the resolvers; the loop itself starts with the first request
    // (ensure_loop), unless a server hosts the client first (host_in).
    Result<void> start();
    Status host_in(lws_context* ctx);
    void unhost();
    // Stops the loop (joins it unless called on it).
    void shutdown();

    // Any thread.
    std::unique_ptr<providers::Request> http(HttpRequest request,
                                             std::shared_ptr<HttpHandler> handler);
    std::unique_ptr<WsConnection> websocket(WsRequest request, std::shared_ptr<WsHandler> handler);
    std::vector<providers::CloudClient::ErrorCount> error_counts() const;
    std::uint64_t requests(std::string_view provider) const;
    std::uint64_t retries(std::string_view provider) const;
    std::uint64_t reused_connections(std::string_view provider) const;
    std::string mask(std::string_view text) const;

    // ---- loop thread -----------------------------------------------------------------------
    void drain_commands();
    void add_job(std::unique_ptr<Job> job);
    void cancel_job(std::uint64_t id);
    void ws_send(std::uint64_t id, OutMessage message);
    void ws_close(std::uint64_t id);
    void on_resolved(std::uint64_t id, std::uint32_t attempt, std::string address,
                     std::string error);
    void on_timer(JobTimer& timer);

    // The job an lws connection belongs to (nullptr for a connection no job owns any more).
    Job* job_of(lws* wsi);
    // Ends the attempt with `failure`: retried when allowed, else reported and the job ends.
    void fail_attempt(Job& job, Failure failure, bool retryable);
    // The job ends (after its last handler call): timers off, connection closed, erased.
    void finish(Job& job);
    // Closes the job's connection at once (asynchronously inside lws) and forgets it.
    void drop_connection(Job& job);
    void start_deadline(Job& job, JobTimer& timer, std::uint32_t ms);
    static void stop_timer(JobTimer& timer);
    // True when the handler may be called (not cancelled, loop not stopping).
    bool live(const Job& job) const;
    // Calls a handler when the job is live; an exception stops at the C callback boundary
    // (logged at error).
    template <class F>
    void notify(const Job& job, F&& call) {
        if (!live(job)) return;
        try {
            call();
        } catch (const std::exception& e) {
            handler_threw(job, e.what());
        } catch (...) {
            handler_threw(job, "unknown exception");
        }
    }
    void handler_threw(const Job& job, const char* what) const;
    Failure status_failure(const Job& job) const;
    void log_failure(const Job& job, const Failure& failure, bool retrying) const;
    void log_request(const Job& job) const;
    void log_response(const Job& job) const;
    std::string masked_excerpt(std::string_view body, std::size_t cap) const;

    int http_event(lws* wsi, int reason, void* in, std::size_t len);
    int ws_event(lws* wsi, int reason, void* in, std::size_t len);

    const ClientConfig config;
    const Logger logger;
    bool stopping = false;  // the context is being destroyed: no handler calls

  private:
    // The client's own context and thread, made on first use when no server hosts it.
    void ensure_loop();
    // Counts a new job, starts the loop when needed and hands the job to it.
    void submit(std::unique_ptr<Job> job);
    lws_vhost* make_vhost(lws_context* ctx, const char* name, bool proxy);
    void stop_resolvers();
    void run_loop();
    void resolver_main();
    void begin_attempt(Job& job);
    void connect(Job& job);
    void add_secret(const std::string& value);
    void count_failure(const std::string& provider, FailureKind kind);
    void count_request(const std::string& provider, bool retry);
    struct ProviderStats {
        std::uint64_t requests = 0, retries = 0, reused = 0;
        std::array<std::uint64_t, kFailureKindCount> failures{};
    };

    std::string proxy_host_;
    std::uint16_t proxy_port_ = 0;
    std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
    std::unique_ptr<LwsLogRoute> log_route_;
    lws_context* ctx_ = nullptr;
    lws_vhost* direct_vhost_ = nullptr;
    lws_vhost* proxy_vhost_ = nullptr;
    std::thread loop_thread_;
    std::atomic<bool> stop_{false};
    std::mutex loop_mu_;     // own loop start/stop vs hosting
    bool own_loop_ = false;  // loop_thread_ services ctx_ (our own context)
    bool hosted_ = false;    // ctx_ is a server's; its loop thread services our vhosts
    std::atomic<std::size_t> jobs_alive_{0};  // made and not yet finished (any thread reads)
    std::atomic<std::uint64_t> next_id_{1};
    std::map<std::uint64_t, std::unique_ptr<Job>> jobs_;  // loop thread
    std::mt19937 rng_{std::random_device{}()};            // loop thread (backoff jitter)

    struct ResolveTask {
        std::uint64_t id;
        std::uint32_t attempt;
        std::string host;
    };
    std::mutex resolve_mu_;
    std::condition_variable resolve_cv_;
    std::deque<ResolveTask> resolve_queue_;
    bool resolve_stop_ = false;
    std::vector<std::thread> resolvers_;

    mutable std::mutex stats_mu_;
    std::map<std::string, ProviderStats, std::less<>> stats_;
    mutable std::mutex secrets_mu_;
    std::vector<std::string> secrets_;  // longest first
};

Impl& impl_of(lws* wsi);
// lws protocol callbacks (http_client.cpp, ws_client.cpp).
int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
int ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
inline constexpr const char* kHttpProtocol = "rob-cloud-http";
inline constexpr const char* kWsProtocol = "rob-cloud-ws";

// The failure kind of an HTTP status that is not 2xx (a response, or a refused WS upgrade).
FailureKind status_kind(int status) noexcept;
// The text lws gives with CLIENT_CONNECTION_ERROR (may be NULL, may have no length).
std::string connection_error_text(const void* in, std::size_t len);
// The failure kind of an lws CLIENT_CONNECTION_ERROR text.
FailureKind connection_error_kind(std::string_view text) noexcept;
// One line for a message: control characters replaced, at most `cap` bytes.
std::string one_line(std::string_view text, std::size_t cap);

}  // namespace ringoverbot::net::client_detail
