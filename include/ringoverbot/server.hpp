// The network host of the call engine (examples/ringoverbot-agent.md documents its endpoints,
// answers, logs and metrics): one libwebsockets context and one loop thread serving, on one port,
//   - the streamer WebSocket (src/streamer/README.md): one agent::Call per connection,
//   - the webhook POST endpoint (src/webhook/README.md), verified by webhook::Verifier,
//   - GET /health (JSON) and GET /metrics (Prometheus text).
//
//   net::ServerConfig cfg;  cfg.port = 0;  cfg.call.greeting = "Hello";
//   auto server = net::Server::create(cfg, providers);   // Result<unique_ptr<Server>>
//   std::thread stopper([&] { wait_for_sigterm(); (*server)->request_stop(); });
//   (*server)->run();   // serves until stopped, then drains the live calls
//
// Threads: every socket, every Call and every callback below (log sink, webhook handler) runs
// on the thread inside run(). Providers deliver results from their own threads; the Call's
// waker queues the call and wakes the loop (lws_cancel_service), nothing else crosses threads.
// request_stop(), port(), url() and stats() may be called from any thread.
//
// Refusals and their reasons (the body is always {"error":"<reason>"}):
//   WebSocket upgrade: 404 not_found (another path), 401 bad_token, 503 max_calls,
//   503 draining. Webhook: 401/400/413 per webhook::http_status (reasons of webhook::Reason),
//   411 length_required (chunked bodies: libwebsockets 4.1 cannot read them), 405
//   method_not_allowed. Any other path: 404 not_found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/agent.hpp"
#include "ringoverbot/cloud_client.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"
#include "ringoverbot/log.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::net {

// The answer to a verified webhook. status 204 sends no body.
struct WebhookReply {
    int status = 200;
    std::string body;  // JSON (content type application/json) when non-empty
};
// Called on the loop thread for every verified webhook, after the server has applied it to
// its calls (a call/hangup ends the linked stream's call). Must be quick: reply first, work
// later (post slow work elsewhere). Unset: 204 for the request/response events (call/contact,
// search/contact, call/routing: "nothing to say"), 200 with an empty body for the others.
using WebhookHandler = std::function<WebhookReply(const webhook::Event& event)>;

// Every limit is a named setting with its default.
struct ServerConfig {
    std::string host = "127.0.0.1";  // interface address to bind (IPv4 or IPv6 literal)
    std::uint16_t port = 8765;       // 0 = an ephemeral port (read it back with port())
    std::string ws_path = "/ws";     // the streamer socket
    std::string webhook_path = "/webhooks/ringover";
    // Base URL the outside world uses (e.g. "https://bot.example.fr"); the URL checked against
    // a webhook JWT's `url` claim is public_url + webhook_path. Empty = "http://HOST:PORT".
    std::string public_url;
    // Required on the streamer socket as ?token= or "Authorization: Bearer"; empty = none.
    std::string stream_token;
    // Keys, IVR token and policies of the webhook verifier. Its public_url and max_body_bytes
    // are set by the server from the fields here. Without any key or IVR token every webhook
    // is refused with 401 no_key.
    webhook::Config webhook;

    std::size_t max_calls = 200;                           // concurrent streamer sockets
    std::size_t max_message_bytes = std::size_t{1} << 20;  // one reassembled WebSocket message
    std::size_t max_body_bytes = std::size_t{1} << 20;     // one webhook body
    std::size_t max_header_bytes = 16384;  // all request headers (a JWT header can be long)
    std::uint32_t ping_interval_s = 20;    // ping a streamer peer silent this long
    std::uint32_t idle_timeout_s = 60;     // close a peer silent this long (> ping interval)
    std::uint32_t http_timeout_s = 10;     // a webhook request must complete within this
    double drain_timeout_s = 30;           // after request_stop(): live calls finish within this
    // Accepting permessage-deflate costs ~300 KB of zlib state per socket and audio
    // hardly compresses, so it is declined (cleanly: the handshake succeeds without it).
    bool permessage_deflate = false;
    double link_window_s = 10;  // stream <-> call/answered webhook matching by numbers

    agent::CallConfig call;  // the template of every call

    // Records every call into this folder (it must exist) as a stereo Ogg Opus file,
    // <call id>-<YYYYmmddTHHMMSSZ>.opus (ringoverbot/recording.hpp): the caller on the left,
    // what the caller heard of the bot on the right. Empty = no recordings. A failing disk
    // stops that call's recording (logged, counted), never the call.
    std::string recording_dir;

    LogSink log;  // unset = JSON lines on stderr
    LogLevel min_level = LogLevel::info;
    // The cloud providers' client, when any (from make_cloud_client): run() services its
    // sockets in the server's own loop (one libwebsockets loop for the process), and its
    // failures by provider and kind appear in /metrics as
    // ringoverbot_provider_failures_total{provider,kind}.
    std::shared_ptr<providers::CloudClient> cloud_client;
    WebhookHandler on_webhook;
    // Unix time used to verify webhooks; unset = the system clock. (Tests pin it to replay
    // signed vectors.)
    std::function<double()> wall_clock;
    // Whether the host has finished warming up (its recogniser loaded, its TTS cache filled);
    // unset = ready. Until it says true, GET /health answers 503 with status "starting", so a
    // load balancer sends no call to an instance whose first calls would be slower. Called on
    // the loop thread at each /health request.
    std::function<bool()> ready;
};

// A snapshot of the counters behind /health and /metrics.
struct ServerStats {
    std::uint64_t calls_active = 0, calls_total = 0, calls_refused = 0;
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t protocol_errors = 0;
    std::uint64_t webhooks_accepted = 0, webhooks_rejected = 0;
    std::uint64_t turns = 0, barge_ins = 0, provider_errors = 0;
    bool draining = false;
};

class RINGOVERBOT_API Server {
  public:
    // Binds the port at once. invalid_argument for a bad setting (the message names it),
    // io when the address cannot be bound (port in use: the message says so).
    static Result<std::unique_ptr<Server>> create(ServerConfig config, agent::Providers providers);
    ~Server();  // closes every socket; call it on the thread that ran run() or after run()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    std::uint16_t port() const noexcept;  // the bound port
    std::string url() const;              // "http://HOST:PORT"

    // Serves on the calling thread until request_stop(), then drains: new calls are refused
    // (503 draining, /health answers 503 "draining"), live calls run until they end or
    // drain_timeout_s passes (then they are closed with 1001 "going away"). Returns once no
    // call is left. Call it once.
    Status run();
    // Thread-safe, and safe in a signal handler: an atomic increment and a write to the loop's
    // wake-up pipe. A second request skips the rest of the drain: live calls are closed at
    // once (1001), as after drain_timeout_s.
    void request_stop() noexcept;

    ServerStats stats() const;  // thread-safe
    // The /metrics page (Prometheus text exposition format 0.0.4). Thread-safe.
    std::string metrics_text() const;

    struct Impl;

  private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The settings Server::create refuses, checked without binding anything: invalid_argument with
// one line naming the setting at fault (the same message create() would give). A host checks
// its config with it before it starts anything else.
RINGOVERBOT_API Status validate_config(const ServerConfig& config);

}  // namespace ringoverbot::net
