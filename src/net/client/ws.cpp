// The WebSocket side of the cloud client: the upgrade (with the request's headers), message
// reassembly with a size cap, one queued message per WRITEABLE, and the graceful close.
#include <cstring>

#include "net/client/engine.hpp"

namespace ringoverbot::net::client_detail {

int cloud_ws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                      std::size_t len) {
    switch (reason) {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            engine_of(wsi).drain_commands();
            return 0;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
        case LWS_CALLBACK_CLIENT_RECEIVE:
        case LWS_CALLBACK_CLIENT_WRITEABLE:
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        case LWS_CALLBACK_CLIENT_CLOSED:
            return engine_of(wsi).ws_event(wsi, reason, in, len);
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int ClientEngine::ws_event(lws* wsi, int reason, void* in, std::size_t len) {
    if (stopping) return reason == LWS_CALLBACK_CLIENT_CLOSED ? 0 : -1;
    Job* found = job_of(wsi);
    if (found == nullptr) {
        return (reason == LWS_CALLBACK_CLIENT_CLOSED ||
                reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR)
                   ? 0
                   : -1;
    }
    Job& job = *found;
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            std::string text = connection_error_text(in, len);
            // An upgrade the server refused still has its status.
            const int status = static_cast<int>(lws_http_client_http_response(wsi));
            job.wsi = nullptr;
            if (job.connecting_now) {
                *job.sync_error = text.empty() ? std::string("connect failed") : text;
                return 0;
            }
            if (status >= 300) {
                job.status = status;
                const FailureKind kind = status_kind(status);
                fail_attempt(
                    job,
                    Failure{kind, status,
                            "WebSocket upgrade refused: HTTP " + std::to_string(status)},
                    kind == FailureKind::rate_limited || kind == FailureKind::server_error);
                return 0;
            }
            const FailureKind kind = connection_error_kind(text);
            fail_attempt(job,
                         Failure{kind, 0,
                                 "connect to " + job.url.host + ":" + std::to_string(job.url.port) +
                                     ": " + one_line(text, 200)},
                         kind != FailureKind::tls);
            return 0;
        }
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
            auto** p = static_cast<unsigned char**>(in);
            unsigned char* end = *p + len;
            for (const Header& h : job.headers) {
                const std::string key = h.name + ":";
                if (lws_add_http_header_by_name(
                        wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                        reinterpret_cast<const unsigned char*>(h.value.data()),
                        static_cast<int>(h.value.size()), p, end) != 0) {
                    fail_attempt(
                        job,
                        Failure{FailureKind::client_error, 0, "the upgrade headers are too large"},
                        false);
                    return -1;
                }
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED: {
            stop_timer(job.connect_timer);
            job.phase = Phase::open;
            job.delivered = true;
            job.rx.clear();
            job.rx_binary = false;
            job.rx_in_message = false;
            notify(job, [&] { job.ws_handler->on_open(); });
            if (!job.outq.empty() || job.close_wanted) lws_callback_on_writable(wsi);
            return 0;
        }
        case LWS_CALLBACK_CLIENT_RECEIVE: {
            if (!job.rx_in_message) {
                job.rx.clear();
                job.rx_binary = lws_frame_is_binary(wsi) != 0;
                job.rx_in_message = true;
            }
            if (job.rx.size() + len > job.max_message_bytes) {
                fail_attempt(job,
                             Failure{FailureKind::protocol, 0,
                                     "a WebSocket message larger than " +
                                         std::to_string(job.max_message_bytes) + " bytes"},
                             false);
                return 0;  // the connection is being closed
            }
            job.rx.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0) {
                job.rx_in_message = false;
                if (logger.enabled(LogLevel::debug)) {
                    LogLine line(logger, LogLevel::debug, "cloud_ws_message");
                    line.str("provider", job.provider).unum("bytes", job.rx.size());
                    if (!job.rx_binary) line.str("text", masked_excerpt(job.rx, 2048));
                }
                notify(job, [&] {
                    job.ws_handler->on_message(
                        std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(job.rx.data()), job.rx.size()),
                        job.rx_binary);
                });
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            if (!job.outq.empty()) {
                OutMessage message = std::move(job.outq.front());
                job.outq.pop_front();
                // One buffer per socket, grown once: no allocation per audio frame here.
                job.tx.resize(LWS_PRE + message.data.size());
                if (!message.data.empty())
                    std::memcpy(job.tx.data() + LWS_PRE, message.data.data(), message.data.size());
                const int n = lws_write(wsi, job.tx.data() + LWS_PRE, message.data.size(),
                                        message.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
                if (n < static_cast<int>(message.data.size())) return -1;  // CLOSED: dropped
                if (!job.outq.empty() || job.close_wanted) lws_callback_on_writable(wsi);
                return 0;
            }
            if (job.close_wanted && !job.close_sent) {
                job.close_sent = true;
                lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
                return -1;  // lws sends the close frame and closes
            }
            return 0;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            const auto* b = static_cast<const std::uint8_t*>(in);
            job.peer_close_code = (b != nullptr && len >= 2) ? (b[0] << 8) | b[1] : 1005;
            return 0;  // lws answers the close
        }
        case LWS_CALLBACK_CLIENT_CLOSED: {
            job.wsi = nullptr;
            if (job.phase == Phase::open && (job.peer_close_code != 0 || job.close_sent)) {
                job.attempt_over = true;
                const int code = job.peer_close_code != 0 ? job.peer_close_code : 1000;
                LogLine(logger, LogLevel::debug, "cloud_ws_closed")
                    .str("provider", job.provider)
                    .num("code", code);
                notify(job, [&] { job.ws_handler->on_closed(code); });
                finish(job);
                return 0;
            }
            fail_attempt(job,
                         Failure{FailureKind::dropped, 0,
                                 job.phase == Phase::open
                                     ? "the WebSocket closed without a close frame"
                                     : "the connection closed before the WebSocket upgrade"},
                         false);
            return 0;
        }
        default:
            return 0;
    }
}

}  // namespace ringoverbot::net::client_detail
