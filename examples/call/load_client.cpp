// Like media_client.cpp (one call per connection, everything on the service thread), but sized
// for thousands of calls: a pacer thread wakes the loop every 5 ms with lws_cancel_service() (the
// one thread-safe lws call); each wake asks to write for the calls with a frame due, and a
// writable callback sends what is due while the socket takes it. Small rx buffers, one tx buffer
// and one JSON parser for the whole loop.
#include "call/load_client.hpp"

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "call/bot_message.hpp"

namespace ringoverbot::callsim {

namespace {

constexpr std::size_t kMaxMessageBytes = std::size_t{4} << 20;
constexpr auto kPacerPeriod = std::chrono::milliseconds(5);
constexpr int kMaxWritesPerCallback = 8;  // catching up after a late wake, without starving others

struct LoadLoop;

struct LoadConnection {
    LoadLoop* loop = nullptr;
    LoadCall* call = nullptr;
    lws* wsi = nullptr;
    std::int64_t connect_at_us = 0;
    bool attempted = false;
    bool finished = false;
    std::string rx;
    int peer_code = 0;
    std::string peer_reason;
};

struct LoadLoop {
    const LoadClientConfig* config = nullptr;
    lws_context* ctx = nullptr;
    std::vector<LoadConnection> conns;
    std::vector<std::int64_t>* reply_latencies = nullptr;
    std::size_t finished = 0;
    std::size_t next_to_connect = 0;
    std::int64_t hard_deadline_us = 0;
    bool stop = false;
    std::string auth_header;
    BotMessageParser parser;
    std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(LWS_PRE + 1024);

    void connect(LoadConnection& c, std::int64_t now) {
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
        ci.local_protocol_name = "ringover-load";
        ci.opaque_user_data = &c;
        ci.pwsi = &c.wsi;
        if (!lws_client_connect_via_info(&ci) && !c.finished) {
            c.call->on_connect_error("could not start the connection", now);
            mark_finished(c);
        }
    }

    void mark_finished(LoadConnection& c) {
        if (c.finished) return;
        c.finished = true;
        c.wsi = nullptr;
        c.rx = std::string();
        if (++finished == conns.size()) {
            stop = true;
            lws_cancel_service(ctx);
        }
    }

    void on_tick() {
        const std::int64_t now = now_us();
        // Connections start in order, so only the not-yet-started tail needs looking at.
        while (next_to_connect < conns.size() && conns[next_to_connect].connect_at_us <= now)
            connect(conns[next_to_connect++], now);
        for (LoadConnection& c : conns) {
            if (c.finished || !c.wsi || !c.call->open()) continue;
            if (c.call->has_due(now) || c.call->wants_close()) lws_callback_on_writable(c.wsi);
        }
        if (now >= hard_deadline_us) {
            for (LoadConnection& c : conns) {
                if (c.finished) continue;
                if (!c.attempted) c.call->connecting(now);
                c.call->on_connect_error("the generator's hard time limit passed", now);
                if (c.wsi) lws_set_timeout(c.wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
                mark_finished(c);
            }
        }
    }

    int on_writeable(LoadConnection& c) {
        LoadCall& call = *c.call;
        const std::int64_t now = now_us();
        if (call.wants_close()) {
            static const char kBye[] = "call ended";
            lws_close_reason(c.wsi, LWS_CLOSE_STATUS_NORMAL,
                             reinterpret_cast<unsigned char*>(const_cast<char*>(kBye)),
                             sizeof kBye - 1);
            return -1;
        }
        for (int i = 0; i < kMaxWritesPerCallback; ++i) {
            bool binary = false;
            const std::span<const std::uint8_t> m = call.next(now, binary);
            if (m.empty()) break;
            if (tx.size() < LWS_PRE + m.size()) tx.resize(LWS_PRE + m.size());
            std::memcpy(tx.data() + LWS_PRE, m.data(), m.size());
            if (lws_write(c.wsi, tx.data() + LWS_PRE, m.size(),
                          binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < 0)
                return -1;
            call.popped(now);
            if (lws_send_pipe_choked(c.wsi)) break;
        }
        if (call.has_due(now) || call.wants_close()) lws_callback_on_writable(c.wsi);
        return 0;
    }

    void on_message(LoadConnection& c, bool binary, std::int64_t now) {
        if (binary) return;  // the bot talks JSON; a stray binary frame carries nothing to follow
        const BotCommand& cmd = parser.parse(c.rx);
        switch (cmd.kind) {
            case BotCommandKind::stream_audio: {
                if (cmd.unplayable || cmd.sample_rate_hz == 0) {
                    c.call->on_protocol_error("streamAudio the media server cannot play");
                    break;
                }
                const auto audio_us = static_cast<std::int64_t>(cmd.samples.size()) * 1000000 /
                                      static_cast<std::int64_t>(cmd.sample_rate_hz);
                const std::int64_t latency = c.call->on_bot_audio(audio_us, now);
                if (latency >= 0) reply_latencies->push_back(latency);
                break;
            }
            case BotCommandKind::error:
                c.call->on_protocol_error(cmd.value);
                break;
            default:  // play, break, digits, transfer: nothing a load run follows
                break;
        }
    }

    int on_receive(LoadConnection& c, const void* in, std::size_t len) {
        if (c.rx.size() + len > kMaxMessageBytes) {
            c.call->on_protocol_error("oversized message");
            lws_close_reason(c.wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
            return -1;
        }
        c.rx.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(c.wsi) && !lws_remaining_packet_payload(c.wsi)) {
            on_message(c, lws_frame_is_binary(c.wsi) != 0, now_us());
            c.rx.clear();
        }
        return 0;
    }
};

int load_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
                  std::size_t len) {
    auto* c = static_cast<LoadConnection*>(lws_get_opaque_user_data(wsi));
    switch (reason) {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:  // the pacer (a fake wsi: no user data)
            if (auto* loop = static_cast<LoadLoop*>(lws_context_user(lws_get_context(wsi))))
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
                c->call->on_connect_error(in ? static_cast<const char*>(in) : "", now_us());
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

// The bot's messages: a 200 ms chunk at 24 kHz is ~13 KB of base64; lws hands larger ones in
// pieces, which on_receive joins.
const lws_protocols kLoadProtocols[] = {
    {"ringover-load", load_callback, 0, 16384, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void log_emit(int level, const char* line) {
    if (level & LLL_ERR) std::fprintf(stderr, "ringoverbot-call: lws: %s", line);
}

}  // namespace

Status run_load_calls(const LoadClientConfig& config, std::vector<LoadCall>& calls,
                      std::vector<std::int64_t>& reply_latencies_us) {
    if (calls.empty()) return {};
    lws_set_log_level(LLL_ERR, log_emit);
    LoadLoop loop;
    loop.config = &config;
    loop.reply_latencies = &reply_latencies_us;
    if (!config.token.empty()) loop.auth_header = "Bearer " + config.token;

    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kLoadProtocols;
    info.options = config.url.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    info.user = &loop;
    info.timeout_secs = 20;  // connect + handshake, under a ramp of thousands
    info.count_threads = 1;
    info.fd_limit_per_thread = static_cast<unsigned int>(calls.size() + 64);
    if (!config.ca_file.empty()) info.client_ssl_ca_filepath = config.ca_file.c_str();
    loop.ctx = lws_create_context(&info);
    if (!loop.ctx) return Status{Errc::internal, "cannot create the libwebsockets context"};

    const std::int64_t start = now_us();
    loop.hard_deadline_us = start + config.hard_limit_us;
    loop.conns.resize(calls.size());
    const auto n = static_cast<std::int64_t>(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        LoadConnection& c = loop.conns[i];
        c.loop = &loop;
        c.call = &calls[i];
        c.connect_at_us =
            start + (n > 1 ? config.ramp_us * static_cast<std::int64_t>(i) / (n - 1) : 0);
    }
    loop.on_tick();
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
