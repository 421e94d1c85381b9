// Plain HTTP on the server's port: /health, /metrics, the webhook endpoint, and the refusals of
// streamer upgrades (which lws asks the "http" protocol about before switching protocols).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/server/routing.hpp"
#include "net/server/server_impl.hpp"
#include "net/server/stream_session.hpp"

namespace ringoverbot::net {

namespace {

// One request/response on an HTTP connection (keep-alive connections reuse it).
struct HttpExchange {
    Route route = Route::error;
    bool head = false;
    // The webhook request.
    std::string target;  // path?query as received (the query as lws decoded it)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool too_large = false;
    webhook::Receipt receipt;  // what the verifier recorded of it, taken back on a 5xx
    // The response.
    bool responding = false;
    bool headers_sent = false;
    bool close_after = false;
    int status = 200;
    std::string content_type;
    std::string allow;
    std::string response;
    std::size_t sent = 0;
    std::uint64_t waiting_id = 0;  // waiting for the directory (Server::Impl::waiting_webhooks)

    void reset() {
        route = Route::error;
        head = too_large = responding = headers_sent = close_after = false;
        receipt.held = false;
        target.clear();
        headers.clear();
        body.clear();
        status = 200;
        content_type.clear();
        allow.clear();
        response.clear();
        sent = 0;
    }
};

constexpr std::size_t kWriteChunk = 4096;
constexpr const char* kJson = "application/json";

std::string copy_header(lws* wsi, lws_token_indexes token) {
    const int n = lws_hdr_total_length(wsi, token);
    if (n <= 0) return {};
    std::string s(static_cast<std::size_t>(n) + 1, '\0');
    const int got = lws_hdr_copy(wsi, s.data(), n + 1, token);
    if (got < 0) return {};
    s.resize(static_cast<std::size_t>(got));
    return s;
}

// `name` lowercase with its colon, as lws stores custom headers.
std::string copy_custom(lws* wsi, const char* name) {
    const int nlen = static_cast<int>(std::strlen(name));
    const int n = lws_hdr_custom_length(wsi, name, nlen);
    if (n <= 0) return {};
    std::string s(static_cast<std::size_t>(n) + 1, '\0');
    const int got = lws_hdr_custom_copy(wsi, s.data(), n + 1, name, nlen);
    if (got < 0) return {};
    s.resize(static_cast<std::size_t>(got));
    return s;
}

// The request path (no query) and method.
std::pair<Method, std::string> method_and_path(lws* wsi) {
    char* uri = nullptr;
    int len = 0;
    const int m = lws_http_get_uri_and_method(wsi, &uri, &len);
    std::string path = (uri != nullptr && len > 0) ? std::string(uri, static_cast<std::size_t>(len))
                                                   : std::string();
    if (const auto q = path.find('?'); q != std::string::npos) path.resize(q);
    Method method = Method::other;
    if (m == LWSHUMETH_GET) method = Method::get;
    if (m == LWSHUMETH_POST) method = Method::post;
    if (m == LWSHUMETH_HEAD) method = Method::head;
    return {method, std::move(path)};
}

// Writes the status line and headers into buf (after LWS_PRE) and sends them. false on error.
bool send_headers(lws* wsi, int status, const std::string& type, std::size_t length,
                  const std::string& allow, bool close_after) {
    unsigned char buf[LWS_PRE + 1024];
    unsigned char* start = buf + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buf + sizeof buf - 1;
    const char* ct = type.empty() ? nullptr : type.c_str();
    if (lws_add_http_common_headers(wsi, static_cast<unsigned>(status), ct,
                                    static_cast<lws_filepos_t>(length), &p, end))
        return false;
    static constexpr char kNoStore[] = "no-store";
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     reinterpret_cast<const unsigned char*>(kNoStore),
                                     sizeof kNoStore - 1, &p, end))
        return false;
    if (!allow.empty() &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ALLOW,
                                     reinterpret_cast<const unsigned char*>(allow.data()),
                                     static_cast<int>(allow.size()), &p, end))
        return false;
    if (close_after) {
        static constexpr char kClose[] = "close";
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                         reinterpret_cast<const unsigned char*>(kClose),
                                         sizeof kClose - 1, &p, end))
            return false;
    }
    return lws_finalize_write_http_header(wsi, start, &p, end) == 0;
}

void respond(lws* wsi, HttpExchange& ex, int status, std::string type, std::string body) {
    ex.responding = true;
    ex.status = status;
    ex.content_type = std::move(type);
    ex.response = std::move(body);
    lws_callback_on_writable(wsi);
}

void respond_error(lws* wsi, HttpExchange& ex, int status, std::string_view reason) {
    respond(wsi, ex, status, kJson, error_body(reason));
}

// WRITEABLE: the headers, then the body in chunks of kWriteChunk. Returns the callback's result.
int write_response(lws* wsi, HttpExchange& ex) {
    const bool has_body = !ex.head && ex.status != 204 && ex.status != 304;
    const std::size_t length = has_body ? ex.response.size() : 0;
    if (!ex.headers_sent) {
        // A HEAD answer announces the length a GET would get.
        const std::size_t announced = ex.status == 204 ? 0 : ex.response.size();
        if (!send_headers(wsi, ex.status, ex.status == 204 ? std::string() : ex.content_type,
                          announced, ex.allow, ex.close_after))
            return -1;
        ex.headers_sent = true;
        if (length == 0) {
            if (ex.close_after) return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        lws_callback_on_writable(wsi);
        return 0;
    }
    unsigned char buf[LWS_PRE + kWriteChunk];
    const std::size_t n = std::min(kWriteChunk, length - ex.sent);
    std::memcpy(buf + LWS_PRE, ex.response.data() + ex.sent, n);
    ex.sent += n;
    const bool last = ex.sent == length;
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        static_cast<int>(n))
        return -1;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (ex.close_after) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// A refusal written at once, before lws would switch protocols (CONFIRM_UPGRADE returns 1).
// lws has not parsed the request's HTTP version yet at that point and its header helpers would
// write "HTTP/1.0", which WebSocket clients reject as malformed: write the response by hand.
void refuse_now(lws* wsi, int status, std::string_view reason) {
    const std::string body = error_body(reason);
    const char* phrase = status == 401   ? "Unauthorized"
                         : status == 404 ? "Not Found"
                         : status == 503 ? "Service Unavailable"
                                         : "Error";
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + " " + phrase +
        "\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
        "\r\ncache-control: no-store\r\nconnection: close\r\n\r\n";
    std::vector<unsigned char> buf(LWS_PRE + head.size() + body.size());
    std::memcpy(buf.data() + LWS_PRE, head.data(), head.size());
    std::memcpy(buf.data() + LWS_PRE + head.size(), body.data(), body.size());
    (void)lws_write(wsi, buf.data() + LWS_PRE, head.size() + body.size(), LWS_WRITE_HTTP_FINAL);
}

}  // namespace

std::string upgrade_protocol(const void* in) {
    std::string p = in != nullptr ? std::string(static_cast<const char*>(in)) : std::string();
    for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return p;
}

int confirm_upgrade(Server::Impl& impl, lws* wsi, std::string_view protocol) {
    auto [method, path] = method_and_path(wsi);
    (void)method;
    if (protocol != "websocket") {  // h2c and others: this port speaks HTTP/1.1 + WebSocket
        impl.metrics.refuse(Refusal::not_found);
        refuse_now(wsi, 400, "unsupported_upgrade");
        return 1;
    }
    char argbuf[512];
    const char* tok = lws_get_urlarg_by_name(wsi, "token=", argbuf, sizeof argbuf);
    const std::string auth = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    const UpgradeDecision d =
        decide_upgrade(path, tok != nullptr ? std::string_view(tok) : std::string_view(), auth,
                       impl.sessions.size(), impl.draining.load(), impl.config);
    if (d.accept) return 0;
    impl.metrics.refuse(d.refusal);
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof peer);
    LogLine(impl.logger, LogLevel::warn, "stream_refused")
        .str("reason", d.error)
        .num("status", d.status)
        .str("path", path)
        .str("peer", peer);
    refuse_now(wsi, d.status, d.error);
    return 1;
}

namespace {

void finish_webhook(Server::Impl& impl, HttpExchange& ex, const webhook::Event& event,
                    std::optional<StreamId> stream, std::optional<directory::RouteOutcome> routed);
void route_webhook(Server::Impl& impl, lws* wsi, HttpExchange& ex, const webhook::Event& event,
                   std::string call_id);
// The request/response webhooks, whose "nothing" is 204.
bool expects_reply(webhook::Kind k) {
    return k == webhook::Kind::call_contact || k == webhook::Kind::search_contact ||
           k == webhook::Kind::call_routing;
}

void handle_webhook(Server::Impl& impl, lws* wsi, HttpExchange& ex) {
    if (ex.too_large) {
        impl.metrics.webhook(webhook::Reason::body_too_large);
        LogLine(impl.logger, LogLevel::warn, "webhook")
            .str("reason", "body_too_large")
            .unum("max_body_bytes", impl.config.max_body_bytes);
        ex.close_after = true;
        respond_error(wsi, ex, 413, "body_too_large");
        return;
    }
    if (!impl.verifier) {
        impl.metrics.webhook(webhook::Reason::no_key);
        LogLine(impl.logger, LogLevel::warn, "webhook")
            .str("reason", "no_key")
            .str("detail", "no webhook key or IVR token is configured");
        respond_error(wsi, ex, webhook::http_status(webhook::Reason::no_key), "no_key");
        return;
    }
    std::vector<webhook::Header> headers;
    headers.reserve(ex.headers.size());
    for (const auto& [name, value] : ex.headers) headers.push_back({name, value});
    webhook::Request req;
    req.method = "POST";
    req.url = ex.target;
    req.headers = headers;
    req.body = ex.body;
    req.now = impl.wall_now();
    webhook::Verdict& v = impl.verdict;
    impl.verifier->verify(req, v);
    impl.metrics.webhook(v.reason);
    if (v.duplicate()) {
        // Ringover retries what got no 2xx: acknowledge a redelivery, never act on it twice.
        LogLine(impl.logger, LogLevel::info, "webhook")
            .str("reason", "duplicate")
            .str("kind", webhook::kind_name(v.event.kind()))
            .str("call_id", v.event.field(webhook::Field::call_id).value_or(""))
            .str("attempt", v.event.field(webhook::Field::attempt).value_or(""))
            .str("detail", v.detail);
        respond(wsi, ex, expects_reply(v.event.kind()) ? 204 : 200, std::string(), std::string());
        return;
    }
    if (!v.ok()) {
        LogLine(impl.logger, LogLevel::warn, "webhook")
            .str("reason", webhook::reason_name(v.reason))
            .str("detail", v.detail);
        respond_error(wsi, ex, webhook::http_status(v.reason), webhook::reason_name(v.reason));
        return;
    }
    ex.receipt = v.receipt;
    const webhook::Event& event = v.event;
    const std::string_view call_id = event.field(webhook::Field::call_id).value_or("");
    if (impl.directory && event.resource() == "call" && !call_id.empty()) {
        route_webhook(impl, wsi, ex, event, std::string(call_id));
        return;
    }
    const auto stream = impl.linker.on_webhook(event, impl.mono_s());
    finish_webhook(impl, ex, event, stream, std::nullopt);
    lws_callback_on_writable(wsi);
}

}  // namespace

namespace {

// A verified webhook's effect on the calls held here and its answer (written at the next
// WRITEABLE). `routed`: what the directory did with it, when one is configured.
void finish_webhook(Server::Impl& impl, HttpExchange& ex, const webhook::Event& event,
                    std::optional<StreamId> stream, std::optional<directory::RouteOutcome> routed) {
    using directory::RouteOutcome;
    const bool duplicate = routed == RouteOutcome::duplicate;
    // Applied here: our own call (the directory agrees, or Redis is unavailable and the
    // stream is ours), or any call when there is no directory.
    const bool here = !routed || routed == RouteOutcome::local ||
                      (routed == RouteOutcome::unavailable && stream.has_value());
    bool ended = false;
    if (here && stream && event.kind() == webhook::Kind::call_hangup) {
        ended = end_call_from_webhook(impl, *stream, Server::Impl::now_us());
        if (ended) Metrics::add(impl.metrics.webhook_hangups_applied);
    }
    LogLine line(impl.logger, LogLevel::info, "webhook");
    line.str("reason", "ok")
        .str("kind", webhook::kind_name(event.kind()))
        .str("call_id", event.field(webhook::Field::call_id).value_or(""));
    if (stream) line.unum("stream", *stream);
    if (routed) line.str("directory", directory::route_outcome_name(*routed));
    if (ended) line.flag("ended_call", true);

    if (routed == RouteOutcome::unavailable && !stream) {
        // Not ours, and nobody can say whose: the sender retries later, and that retry is new.
        if (impl.verifier) impl.verifier->forget(ex.receipt);
        ex.status = 503;
        ex.content_type = kJson;
        ex.response = error_body("directory_unavailable");
        ex.responding = true;
        return;
    }
    WebhookReply reply;
    if (impl.config.on_webhook && !duplicate) {
        try {
            reply = impl.config.on_webhook(event);
        } catch (const std::exception& e) {
            LogLine(impl.logger, LogLevel::error, "webhook_handler_failed").str("error", e.what());
            reply = WebhookReply{500, error_body("handler_failed")};
        }
    } else {
        reply.status = expects_reply(event.kind()) ? 204 : 200;
    }
    if (reply.status < 200 || reply.status > 599) reply.status = 500;
    // Not handled: the sender's retry must be taken, not refused as a duplicate.
    if (reply.status >= 500 && impl.verifier) impl.verifier->forget(ex.receipt);
    ex.status = reply.status;
    ex.content_type = reply.body.empty() ? std::string() : kJson;
    ex.response = std::move(reply.body);
    ex.responding = true;
}

// A call webhook with a directory: Redis decides (atomically with any concurrent claim)
// whether it is ours, another instance's, early, or a duplicate. The answer waits for it.
void route_webhook(Server::Impl& impl, lws* wsi, HttpExchange& ex, const webhook::Event& event,
                   std::string call_id) {
    const auto stream = impl.linker.on_webhook(event, impl.mono_s());
    const std::uint64_t id = impl.next_waiting++;
    impl.waiting_webhooks.emplace(id, wsi);
    ex.waiting_id = id;
    ex.responding = true;  // no second request on this connection meanwhile
    directory::CallEvent ce{std::move(call_id), std::string(event.event())};
    std::string key = directory::dedup_key(ce.call_id, ce.event, ex.body);
    impl.directory->route(
        ce, std::move(key),
        [&impl, id, linked = stream.value_or(0),
         copy = std::make_shared<webhook::Event>(event)](const directory::RouteResult& r) {
            const auto it = impl.waiting_webhooks.find(id);
            if (it == impl.waiting_webhooks.end()) return;  // the client went away
            lws* conn = it->second;
            impl.waiting_webhooks.erase(it);
            auto** slot = static_cast<HttpExchange**>(lws_wsi_user(conn));
            if (slot == nullptr || *slot == nullptr) return;
            HttpExchange& waiting = **slot;
            waiting.waiting_id = 0;
            // The stream may have ended while Redis answered (stream ids start at 1).
            std::optional<StreamId> live;
            if (linked != 0 && impl.sessions.count(linked) != 0) live = linked;
            finish_webhook(impl, waiting, *copy, live, r.outcome);
            lws_callback_on_writable(conn);
        });
}

void start_request(Server::Impl& impl, lws* wsi, HttpExchange& ex) {
    auto [method, path] = method_and_path(wsi);
    const RouteDecision d = route_http(method, path, impl.config);
    ex.route = d.route;
    ex.head = method == Method::head;
    switch (d.route) {
        case Route::health: {
            int status = 200;
            std::string body = impl.health_page(status);
            respond(wsi, ex, status, kJson, std::move(body));
            return;
        }
        case Route::metrics:
            respond(wsi, ex, 200, "text/plain; version=0.0.4; charset=utf-8", impl.metrics_page());
            return;
        case Route::error:
            ex.allow = std::string(d.allow);
            respond_error(wsi, ex, d.status, d.error);
            return;
        case Route::webhook:
            break;
    }
    // libwebsockets 4.1 reads request bodies by Content-Length only; a chunked body would hang.
    const bool has_length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
    if (!has_length && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        LogLine(impl.logger, LogLevel::warn, "webhook")
            .str("reason", "length_required")
            .str("detail", "chunked request bodies are not supported");
        ex.close_after = true;
        respond_error(wsi, ex, 411, "length_required");
        return;
    }
    ex.target = path;
    if (std::string args = copy_header(wsi, WSI_TOKEN_HTTP_URI_ARGS); !args.empty())
        ex.target.append("?").append(args);
    static constexpr const char* kCustom[][2] = {
        {"x-ringover-webhook-signature:", "X-Ringover-Webhook-Signature"},
        {"x-ringover-webhook-signature-v3:", "X-Ringover-Webhook-Signature-V3"},
        {"x-ringover-request-signature-v3-timestamp:", "X-Ringover-Request-Signature-V3-Timestamp"},
        {"x-ringover-signature:", "X-Ringover-Signature"},
    };
    for (const auto& h : kCustom)
        if (std::string v = copy_custom(wsi, h[0]); !v.empty())
            ex.headers.emplace_back(h[1], std::move(v));
    if (std::string v = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION); !v.empty())
        ex.headers.emplace_back("Authorization", std::move(v));
    if (has_length) {
        const std::string cl = copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        const unsigned long long n = std::strtoull(cl.c_str(), nullptr, 10);
        if (n > impl.config.max_body_bytes)
            ex.too_large = true;  // read and drop it, then answer 413
        else
            ex.body.reserve(static_cast<std::size_t>(n));
    }
}

}  // namespace

namespace {

int handle_http(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto** slot = static_cast<HttpExchange**>(user);
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirm_upgrade(impl_of(wsi), wsi, upgrade_protocol(in));

        case LWS_CALLBACK_HTTP: {
            if (slot == nullptr) return -1;
            if (*slot == nullptr) *slot = new HttpExchange();
            (*slot)->reset();
            start_request(impl_of(wsi), wsi, **slot);
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY: {
            if (slot == nullptr || *slot == nullptr) return -1;
            HttpExchange& ex = **slot;
            if (ex.route != Route::webhook || ex.responding || ex.too_large) return 0;
            if (ex.body.size() + len > impl_of(wsi).config.max_body_bytes) {
                ex.too_large = true;
                ex.body.clear();
                ex.body.shrink_to_fit();
                return 0;
            }
            ex.body.append(static_cast<const char*>(in), len);
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            if (slot == nullptr || *slot == nullptr) return -1;
            HttpExchange& ex = **slot;
            if (ex.route == Route::webhook && !ex.responding) handle_webhook(impl_of(wsi), wsi, ex);
            return 0;
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (slot == nullptr || *slot == nullptr || !(*slot)->responding) return 0;
            if ((*slot)->waiting_id != 0) return 0;  // the directory has not answered yet
            return write_response(wsi, **slot);
        }
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
            if (slot != nullptr && *slot != nullptr && (*slot)->waiting_id != 0)
                impl_of(wsi).waiting_webhooks.erase((*slot)->waiting_id);
            if (slot != nullptr) {
                delete *slot;
                *slot = nullptr;
            }
            return 0;
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            return 0;  // the streamer protocol handles the wake-ups (it is called too)
        default:
            break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    return guarded(wsi, "http", [&] { return handle_http(wsi, reason, user, in, len); });
}

}  // namespace ringoverbot::net
