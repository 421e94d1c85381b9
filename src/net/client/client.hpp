// The HTTP(S) and WebSocket client of the cloud providers, on libwebsockets (no other
// dependency). One ClientLoop owns an lws client context and the thread that services it;
// every request of every call shares it. Requests are started and cancelled from any thread
// (they are posted to the loop through a queue + lws_cancel_service); handlers are called on
// the loop thread, one request's calls in order, and never after cancel() has returned on the
// loop thread (a cancel from another thread may race one last callback, which the provider
// glue drops: the sinks tolerate late results by contract).
//
// What it does for every request (spec: issue 4, "Behaviour users rely on"):
// - DNS is resolved on a resolver thread, never on the loop; the connection is made to the
//   address with the name kept for SNI, the certificate check and the Host header.
// - TLS is verified against the system's CAs plus ClientConfig::ca_file when set.
// - HTTPS through ClientConfig::https_proxy (CONNECT) when set.
// - Deadlines: connect (TCP + TLS + handshake), first byte (of the response headers), total.
// - Retries: only for requests marked idempotent and only before any body byte was handed to
//   the handler; on connect failures, 429 and 5xx; exponential backoff with jitter, honouring
//   Retry-After (capped by the policy).
// - cancel() closes the connection at once (no half-read response is kept for reuse).
// - Failures are counted per (provider, kind) (CloudClient::error_counts) and logged at warn with
//   the provider name; request and response bodies only at debug, with every secret masked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/client/failure.hpp"
#include "net/client/url.hpp"
#include "ringoverbot/cloud_client.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"

struct lws_context;

namespace ringoverbot::net {

// ---- requests -----------------------------------------------------------------------------------

struct Header {
    std::string name;  // e.g. "Authorization"
    std::string value;
    bool secret = false;  // masked ("***") in every log line, and masked in logged bodies
};

struct Deadlines {
    std::uint32_t connect_ms = 5000;      // DNS + TCP + TLS (+ proxy CONNECT, + WS upgrade)
    std::uint32_t first_byte_ms = 10000;  // from the request sent to the response headers
    std::uint32_t total_ms = 60000;       // the whole request, 0 = none (a WS stream)
    // HTTP: the longest silence of a 2xx response body once it has begun (a stalled stream),
    // 0 = none. A stall is a timeout failure; it is not retried (the handler has data).
    std::uint32_t idle_ms = 0;
};

struct RetryPolicy {
    std::uint32_t max_attempts = 3;       // 1 = no retry
    std::uint32_t base_backoff_ms = 200;  // doubled each attempt, with up to 50 % jitter
    std::uint32_t max_backoff_ms = 2000;  // also caps a Retry-After
};

struct HttpRequest {
    std::string provider;  // "openai", "elevenlabs", ... (metrics and logs)
    std::string method = "POST";
    Url url;
    std::vector<Header> headers;  // Host, Content-Length and Accept-Encoding are added
    std::string content_type;     // for the body; empty when there is no body
    std::string body;
    Deadlines deadlines;
    bool idempotent = false;  // may be retried (before any body byte was delivered)
    RetryPolicy retry;
};

// Called on the loop thread. For a 2xx answer: on_response, then on_body any number of times
// (de-chunked, as it arrives), then on_complete. Anything else ends with one on_failure
// (non-2xx answers: the body, capped at 4 KiB, is read first and quoted in the message).
class HttpHandler {
  public:
    virtual ~HttpHandler() = default;
    virtual void on_response(int status) { (void)status; }
    virtual void on_body(std::span<const std::uint8_t> data) = 0;
    virtual void on_complete() = 0;
    virtual void on_failure(const Failure& failure) = 0;
};

struct WsRequest {
    std::string provider;
    Url url;                      // ws:// or wss://
    std::vector<Header> headers;  // e.g. Authorization: Token ...
    Deadlines deadlines;          // connect_ms bounds the upgrade; total_ms 0 = none
    std::size_t max_message_bytes = 1 << 20;
    bool retry_connect = true;  // a refused/failed connect is retried (not a 401)
    RetryPolicy retry;
};

// Called on the loop thread: on_open once, then messages, then exactly one of on_closed (a
// close the peer or close() started, after the handshake) or on_failure.
class WsHandler {
  public:
    virtual ~WsHandler() = default;
    virtual void on_open() {}
    virtual void on_message(std::span<const std::uint8_t> data, bool binary) = 0;
    virtual void on_closed(int close_code) = 0;
    virtual void on_failure(const Failure& failure) = 0;
};

// A WebSocket in flight. Thread-safe: messages sent before the socket opened are queued and
// sent in order once it is. close() sends a close frame after the queued messages (a graceful
// end); cancel() (or destruction) drops the connection at once, and no handler call follows
// it once it has returned on the loop thread.
class WsConnection : public providers::Request {
  public:
    virtual void send_text(std::string text) = 0;
    virtual void send_binary(std::vector<std::uint8_t> data) = 0;
    virtual void close() = 0;
};

// ---- the loop -----------------------------------------------------------------------------------

// ClientConfig is the public CloudClientConfig (ringoverbot/cloud_client.hpp): ca_file,
// https_proxy, no_proxy, log sink and level.
using ClientConfig = CloudClientConfig;

// The implementation behind providers::CloudClient (what the public cloud factories take).
class ClientLoop : public providers::CloudClient {
  public:
    // Starts the loop thread. invalid_argument for an unreadable CA file or a bad proxy URL.
    static Result<std::shared_ptr<ClientLoop>> create(ClientConfig config);
    // Stops the loop: every request in flight fails with no handler call (they are cancelled).
    virtual ~ClientLoop() = default;

    // Starts an HTTP request; the handle cancels it. Never fails synchronously: a bad request
    // is reported through on_failure (on the loop thread).
    virtual std::unique_ptr<providers::Request> http(HttpRequest request,
                                                     std::shared_ptr<HttpHandler> handler) = 0;
    virtual std::unique_ptr<WsConnection> websocket(WsRequest request,
                                                    std::shared_ptr<WsHandler> handler) = 0;

    // Hosting: a server runs the client's sockets in its own libwebsockets loop, so that one
    // loop serves every socket of the process. host_in() is called on the server's loop thread
    // before it services; the client's own loop (started by the first request when no server
    // hosts the client) stops, which it cannot do with requests in flight (invalid_state: the
    // client then keeps its own loop). unhost() is called on the server's loop thread once its
    // loop has ended, before its context goes: requests in flight end with no handler call,
    // and later requests start the client's own loop again. The host keeps the client alive
    // while hosting.
    virtual Status host_in(lws_context* ctx) = 0;
    virtual void unhost() = 0;

    // CloudClient::error_counts(): failures by (provider, failure_kind_name), nonzero only.
    // Also: requests and retries per provider, for tests and the benchmark.
    virtual std::uint64_t requests(std::string_view provider) const = 0;
    virtual std::uint64_t retries(std::string_view provider) const = 0;
    virtual std::uint64_t reused_connections(std::string_view provider) const = 0;
    // Masks every secret the loop has seen in a header of any request in `text` (for callers
    // that log bodies themselves).
    virtual std::string mask(std::string_view text) const = 0;
};

}  // namespace ringoverbot::net
