// The cloud client's engine (ClientEngine): the loop (one lws client context on its own thread,
// or vhosts in a server's context while a server hosts the client), the requests it runs (a Job
// each, across its attempts: job.hpp), the command mailbox other threads post to, and the
// resolver threads. ClientEngine's parts, a file each:
//   loop.cpp          the context, the loop thread, hosting in a server, the mailbox
//   requests.cpp      the handles and the commands they post (start, cancel, send, close)
//   jobs.cpp          attempts, deadlines, retries and the end of a request
//   http.cpp, ws.cpp  the lws callbacks of an HTTP request and of a WebSocket
//   request_log.cpp   the log lines of a request, every secret masked
// and beside it: resolver (DNS threads), proxy (HTTPS_PROXY / NO_PROXY), secret_mask,
// provider_counters, failure (kinds and mappings), url, and cloud_client.cpp (the public face:
// ClientLoop::create and make_cloud_client).
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "net/client/client.hpp"
#include "net/client/job.hpp"
#include "net/client/provider_counters.hpp"
#include "net/client/resolver.hpp"
#include "net/client/secret_mask.hpp"
#include "net/log.hpp"

namespace ringoverbot::net::client_detail {

class ClientEngine;

// Commands from any thread to the loop. Outlives the loop (handles keep it), so a handle
// destroyed after the loop posts into nothing.
class Mailbox {
  public:
    using Command = std::function<void(ClientEngine&)>;
    void attach(lws_context* ctx);
    void detach();
    void post(Command command);
    void take(std::deque<Command>& out);

  private:
    std::mutex mu_;
    lws_context* ctx_ = nullptr;
    std::deque<Command> commands_;
};

// What runs the client's requests: the loop's state. The loop thread holds a reference to it,
// so the public ClientLoop (a thin facade) may be destroyed on any thread, the loop thread
// included (it then lets the thread finish on its own instead of joining itself).
class ClientEngine : public std::enable_shared_from_this<ClientEngine> {
  public:
    ClientEngine(ClientConfig config, std::string proxy_host, std::uint16_t proxy_port);
    ~ClientEngine();
    ClientEngine(const ClientEngine&) = delete;
    ClientEngine& operator=(const ClientEngine&) = delete;
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
    const ProviderCounters& counters() const noexcept { return counters_; }
    std::string mask(std::string_view text) const { return secrets_.mask(text); }

    // ---- loop thread ----------------------------------------------------------------------------
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
    std::string masked_excerpt(std::string_view body, std::size_t cap) const {
        return secrets_.excerpt(body, cap);
    }

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
    void run_loop();
    void begin_attempt(Job& job);
    void connect(Job& job);

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
    // Answers go to the loop through the mailbox (on_resolved).
    Resolver resolver_;
    ProviderCounters counters_;
    SecretMask secrets_;
};

// The engine whose vhost `wsi` belongs to (its own context or a server's).
ClientEngine& engine_of(lws* wsi);
// lws protocol callbacks (http.cpp, ws.cpp).
int cloud_http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                        std::size_t len);
int cloud_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
inline constexpr const char* kHttpProtocol = "rob-cloud-http";
inline constexpr const char* kWsProtocol = "rob-cloud-ws";

}  // namespace ringoverbot::net::client_detail
