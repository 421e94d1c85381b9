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
#include "ringoverbot/ringover_api.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::net {

class Worker;  // ringoverbot/workers.hpp

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

// Several instances behind one load balancer share their calls through one Redis (README
// §Several instances): each instance claims the calls whose streams it holds, a webhook about a
// call held elsewhere is routed to its holder, a webhook that comes before its stream is parked
// until the stream is claimed, the same webhook delivered twice takes effect once, and the
// calls of a dead instance are reported as orphaned. Audio never crosses Redis. When Redis
// stops answering, live calls go on and webhooks for them still work; webhooks for calls this
// instance does not hold get 503 (the sender retries).
struct DirectoryConfig {
    // "IP:PORT", "redis://IP:PORT", "[IPv6]:PORT" or "unix:/path" (a literal address: no DNS
    // lookup on the loop). Empty = no directory (one instance).
    std::string redis_url;
    std::string instance_id;         // empty = "HOSTNAME-PID-RANDOM"
    std::string key_prefix = "rb:";  // several deployments may share one Redis
    double heartbeat_s = 1;          // the instance's heartbeat period
    double instance_ttl_s = 5;       // an instance silent this long is dead (> heartbeat_s)
    double reaper_s = 2;             // how often each instance looks for dead ones
    double redis_timeout_s = 0.5;    // a command unanswered this long: Redis is unavailable
    double pending_ttl_s = 120;      // how long an event waits for its call's stream
    double dedup_ttl_s = 600;        // how long a webhook is remembered as taken
    // A call of a dead instance, reported by the one instance whose reaper found it (loop
    // thread). The call's stream was lost with its instance; the host may tell someone.
    std::function<void(std::string_view call_id, std::string_view dead_instance)> on_orphan;
};

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
    // what the caller heard of the bot on the right; beside it, <same stem>.svg, the call's
    // timeline (ringoverbot/timeline.hpp), written when the call ends. Empty = neither. A
    // failing disk stops that call's recording (logged, counted) or costs its picture
    // (logged: timeline_failed), never the call.
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
    // Ringover's REST API (ringoverbot/ringover_api.hpp; from RINGOVER_API_KEY), when set:
    // - the bot's end_call also hangs the call up through REST (the stream closes as before);
    // - a transfer the media server has not acted on (its stream is still open)
    //   rest_transfer_fallback_ms after it was sent is sent again through REST, on the
    //   channel_id of the stream's metadata or of the call's webhooks (0 = never);
    // - with rest_call_context, the call's details (the caller's number, their name in the
    //   contacts) are asked for once the call id is known, and become a second system message
    //   of the call's LLM requests.
    // Give the client's CloudClient as cloud_client too, so that its callbacks run on this
    // server's loop. Without it, nothing changes.
    std::shared_ptr<ringover::RestClient> ringover_api;
    std::uint32_t rest_transfer_fallback_ms = 4000;
    bool rest_call_context = true;
    // This process's seat in a worker group (run_workers, ringoverbot/workers.hpp); null = a
    // lone server. A worker listens with SO_REUSEPORT on the group's address (host and port
    // must be the worker's host() and port()), keeps its counters in the group's shared board,
    // and answers /health and /metrics for the whole group: the counters summed over the
    // workers (a dead worker's stay in), the live-call gauges summed, calls_max = max_calls
    // (per worker) times the workers, the cloud failures summed (each worker publishes its
    // own once a second), plus per-worker series (worker="i"). stats() stays this
    // process's own. Webhooks reach any worker: one about a call held by another worker needs
    // the shared call directory to find it.
    std::shared_ptr<const Worker> worker;

    DirectoryConfig directory;  // calls shared with other instances in Redis
};

// A snapshot of the counters behind /health and /metrics.
struct ServerStats {
    std::uint64_t calls_active = 0, calls_total = 0, calls_refused = 0;
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t protocol_errors = 0;
    std::uint64_t webhooks_accepted = 0, webhooks_rejected = 0;
    std::uint64_t turns = 0, barge_ins = 0, provider_errors = 0;
    bool draining = false;
    std::uint64_t calls_orphaned = 0;  // calls of dead instances this instance reported
    bool directory_up = false;         // a directory is configured and its Redis answers
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
