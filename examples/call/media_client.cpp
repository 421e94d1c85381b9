// libwebsockets 4.1.6 as a client: everything runs on the one
// service thread, so the calls need no lock. A pacer thread wakes the loop every 5 ms with
// lws_cancel_service() (the one thread-safe lws call); each wake runs every frame due by then
// (catching up if late), so the caller's audio keeps wall-clock pace and both channels stay
// time-aligned. (lws' own timers have 1 ms resolution and spin in poll(0) for the last
// fraction of a millisecond before each expiry: 20-30x the CPU of this wake-up.)
#include "call/media_client.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace ringoverbot::callsim {

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Result<WsUrl> parse_ws_url(const std::string& url) {
    WsUrl out;
    std::string_view rest = url;
    if (rest.starts_with("ws://")) {
        rest.remove_prefix(5);
    } else if (rest.starts_with("wss://")) {
        out.tls = true;
        rest.remove_prefix(6);
    } else {
        return Error{Errc::invalid_argument, "the URL must start with ws:// or wss://"};
    }
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (out.path.front() == '?') out.path.insert(0, "/");
    out.port = out.tls ? 443 : 80;
    std::string_view port_text;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return Error{Errc::invalid_argument, "unclosed [ in the URL's host"};
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return Error{Errc::invalid_argument, "bad URL host"};
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) return Error{Errc::invalid_argument, "the URL has no host"};
    if (!port_text.empty() || authority.ends_with(":")) {
        int port = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || p != port_text.data() + port_text.size() || port < 1 ||
            port > 65535)
            return Error{Errc::invalid_argument, "bad port '" + std::string(port_text) + "'"};
        out.port = port;
    }
    return out;
}

namespace {

constexpr std::size_t kMaxMessageBytes = std::size_t{16} << 20;
constexpr auto kPacerPeriod = std::chrono::milliseconds(5);

struct Loop;

// One call's connection; the wsi's opaque user data points here.
struct Connection {
    Loop* loop = nullptr;
    SimulatedCall* call = nullptr;
    lws* wsi = nullptr;
    std::int64_t connect_at_us = 0;
    bool attempted = false;
    bool finished = false;
    std::string rx;
    int peer_code = 0;
    std::string peer_reason;
    std::vector<std::uint8_t> tx;  // LWS_PRE headroom + the message
};

struct Loop {
    const ClientConfig* config = nullptr;
    lws_context* ctx = nullptr;
    std::vector<Connection> conns;
    std::size_t finished = 0;
    std::int64_t hard_deadline_us = 0;
    bool stop = false;
    std::string auth_header;

    void connect(Connection& c, std::int64_t now) {
        c.attempted = true;
        c.call->connecting(now);
        lws_client_connect_info ci{};
        ci.context = ctx;
        ci.address = config->url.host.c_str();
        ci.port = config->url.port;
        ci.path = config->url.path.c_str();
        ci.host = config->url.host.c_str();
        ci.origin = config->url.host.c_str();
        ci.ssl_connection = config->url.tls ? LCCSCF_USE_SSL : 0;
        ci.protocol = nullptr;  // Ringover sends no subprotocol
        ci.local_protocol_name = "ringover-media";
        ci.opaque_user_data = &c;
        ci.pwsi = &c.wsi;
        if (!lws_client_connect_via_info(&ci) && !c.finished) {
            // lws reports most failures through CLIENT_CONNECTION_ERROR; this one it did not.
            c.call->on_connect_error("could not start the connection", now);
            mark_finished(c);
        }
    }

    void mark_finished(Connection& c) {
        if (c.finished) return;
        c.finished = true;
        c.wsi = nullptr;
        if (++finished == conns.size()) {
            stop = true;
            lws_cancel_service(ctx);
        }
    }

    // Each wake: start due connections, run due frames, ask to write.
    void on_tick() {
        const std::int64_t now = now_us();
        for (Connection& c : conns) {
            if (c.finished) continue;
            if (!c.attempted) {
                if (now >= c.connect_at_us) connect(c, now);
                continue;
            }
            if (!c.wsi) continue;
            c.call->advance(now);
            if (c.call->has_output() || c.call->wants_close()) lws_callback_on_writable(c.wsi);
        }
        if (now >= hard_deadline_us) {
            for (Connection& c : conns) {
                if (c.finished) continue;
                c.call->on_connect_error("the simulator's hard time limit passed", now);
                if (c.wsi) lws_set_timeout(c.wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
                mark_finished(c);
            }
        }
    }

    int on_writeable(Connection& c) {
        SimulatedCall& call = *c.call;
        if (call.has_output()) {
            const OutMessage& m = call.front();
            c.tx.resize(LWS_PRE + m.data.size());
            std::memcpy(c.tx.data() + LWS_PRE, m.data.data(), m.data.size());
            const int n = lws_write(c.wsi, c.tx.data() + LWS_PRE, m.data.size(),
                                    m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            if (n < 0) return -1;
            call.sent(now_us());
            if (call.has_output() || call.wants_close()) lws_callback_on_writable(c.wsi);
            return 0;
        }
        if (call.wants_close()) {
            static const char kBye[] = "call ended";
            lws_close_reason(c.wsi, LWS_CLOSE_STATUS_NORMAL,
                             reinterpret_cast<unsigned char*>(const_cast<char*>(kBye)),
                             sizeof kBye - 1);
            return -1;
        }
        return 0;
    }

    int on_receive(Connection& c, const void* in, std::size_t len) {
        if (c.rx.size() + len > kMaxMessageBytes) {
            c.call->on_message("{\"event\":\"oversized message\"}", false, now_us());
            lws_close_reason(c.wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
            return -1;
        }
        c.rx.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(c.wsi) && !lws_remaining_packet_payload(c.wsi)) {
            const bool binary = lws_frame_is_binary(c.wsi) != 0;
            c.call->on_message(c.rx, binary, now_us());
            c.rx.clear();
        }
        return 0;
    }
};

int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, std::size_t len) {
    auto* c = static_cast<Connection*>(lws_get_opaque_user_data(wsi));
    switch (reason) {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:  // the pacer (a fake wsi: no user data)
            if (auto* loop = static_cast<Loop*>(lws_context_user(lws_get_context(wsi))))
                loop->on_tick();
            break;
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
            if (!c || c->loop->auth_header.empty()) break;
            auto** p = static_cast<unsigned char**>(in);
            const auto& h = c->loop->auth_header;
            if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                             reinterpret_cast<const unsigned char*>(h.data()),
                                             static_cast<int>(h.size()), p, *p + len))
                return -1;
            break;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            if (!c) return -1;
            c->wsi = wsi;
            c->call->established(now_us());
            lws_callback_on_writable(wsi);
            break;
        case LWS_CALLBACK_CLIENT_RECEIVE:
            if (!c) return -1;
            return c->loop->on_receive(*c, in, len);
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            if (!c) return -1;
            return c->loop->on_writeable(*c);
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (c && in && len >= 2) {
                const auto* b = static_cast<const unsigned char*>(in);
                c->peer_code = (b[0] << 8) | b[1];
                c->peer_reason.assign(reinterpret_cast<const char*>(b + 2), len - 2);
            } else if (c) {
                c->peer_code = 1005;  // a close frame without a code
            }
            break;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            if (c && !c->finished) {
                const char* why = in ? static_cast<const char*>(in) : "";
                c->call->on_connect_error(why, now_us());
                c->loop->mark_finished(*c);
            }
            break;
        case LWS_CALLBACK_CLIENT_CLOSED:
            if (c && !c->finished) {
                c->call->on_closed(c->peer_code, c->peer_reason, now_us());
                c->loop->mark_finished(*c);
            }
            break;
        default:
            break;
    }
    return 0;
}

const lws_protocols kProtocols[] = {
    {"ringover-media", callback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void log_emit(int level, const char* line) {
    if (level & LLL_ERR) std::fprintf(stderr, "ringoverbot-call: lws: %s", line);
}

}  // namespace

Status run_calls(const ClientConfig& config, std::vector<std::unique_ptr<SimulatedCall>>& calls) {
    if (calls.empty()) return {};
    lws_set_log_level(LLL_ERR, log_emit);
    Loop loop;
    loop.config = &config;
    if (!config.token.empty()) loop.auth_header = "Bearer " + config.token;

    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    // TLS only for wss:// (initialising OpenSSL and the OS CA store costs ~50 ms of CPU).
    info.options = config.url.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    info.user = &loop;
    info.timeout_secs = 10;  // connect + handshake
    info.fd_limit_per_thread = static_cast<unsigned int>(calls.size() + 16);
    if (!config.ca_file.empty()) info.client_ssl_ca_filepath = config.ca_file.c_str();
    loop.ctx = lws_create_context(&info);
    if (!loop.ctx) return Status{Errc::internal, "cannot create the libwebsockets context"};

    const std::int64_t start = now_us();
    loop.hard_deadline_us = start + std::int64_t{config.hard_limit_s} * 1000000;
    loop.conns.resize(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        Connection& c = loop.conns[i];
        c.loop = &loop;
        c.call = calls[i].get();
        c.connect_at_us =
            start + (calls.size() > 1
                         ? std::int64_t{config.ramp_ms} * 1000 * static_cast<std::int64_t>(i) /
                               static_cast<std::int64_t>(calls.size() - 1)
                         : 0);
        c.tx.reserve(LWS_PRE + 4096);
    }
    loop.on_tick();  // connects the first calls
    std::atomic<bool> quit{false};
    std::thread pacer([&] {
        auto at = std::chrono::steady_clock::now();
        while (!quit.load(std::memory_order_relaxed)) {
            at += kPacerPeriod;
            std::this_thread::sleep_until(at);
            lws_cancel_service(loop.ctx);
        }
    });
    while (!loop.stop) {
        if (lws_service(loop.ctx, 0) < 0) break;
    }
    quit.store(true, std::memory_order_relaxed);
    pacer.join();
    lws_context_destroy(loop.ctx);
    return {};
}

}  // namespace ringoverbot::callsim
