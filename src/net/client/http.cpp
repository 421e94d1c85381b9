// The HTTP side of the cloud client: the lws callbacks of one request's attempt, from the
// request headers to the last body byte.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "net/client/engine.hpp"

namespace ringoverbot::net::client_detail {

namespace {

constexpr std::size_t kErrorBodyCap = 4096;
constexpr std::size_t kLoggedBodyCap = 2048 + 64;
constexpr std::size_t kWriteChunk = 16384;

bool is_2xx(int status) {
    return status >= 200 && status < 300;
}

int add_header(lws* wsi, std::string_view name, std::string_view value, unsigned char** p,
               unsigned char* end) {
    std::string key(name);
    key += ':';
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), p, end);
}

}  // namespace

int cloud_http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                        std::size_t len) {
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        engine_of(wsi).drain_commands();
        return 0;
    }
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
            return engine_of(wsi).http_event(wsi, reason, in, len);
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int ClientEngine::http_event(lws* wsi, int reason, void* in, std::size_t len) {
    if (stopping) return reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP ? 0 : -1;
    Job* found = job_of(wsi);
    if (found == nullptr) {
        // A connection no request owns any more (cancelled, timed out): let it close.
        return (reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP ||
                reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR)
                   ? 0
                   : -1;
    }
    Job& job = *found;
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            std::string text = connection_error_text(in, len);
            job.wsi = nullptr;  // lws closes it
            if (job.connecting_now) {
                *job.sync_error = text.empty() ? std::string("connect failed") : text;
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
            bool ok = true;
            for (const Header& h : job.headers)
                ok = ok && add_header(wsi, h.name, h.value, p, end) == 0;
            ok = ok && add_header(wsi, "accept-encoding", "identity", p, end) == 0;
            const bool sends_body = !job.body.empty() || job.method == "POST" ||
                                    job.method == "PUT" || job.method == "PATCH";
            if (sends_body) {
                if (!job.content_type.empty())
                    ok = ok && add_header(wsi, "content-type", job.content_type, p, end) == 0;
                ok = ok && add_header(wsi, "content-length", std::to_string(job.body.size()), p,
                                      end) == 0;
            }
            if (!ok) {
                fail_attempt(
                    job, Failure{FailureKind::client_error, 0, "the request headers are too large"},
                    false);
                return -1;
            }
            // Connected (TCP, TLS, proxy): the connect deadline is met.
            stop_timer(job.connect_timer);
            job.phase = Phase::waiting_headers;
            if (!job.body.empty()) {
                lws_client_http_body_pending(wsi, 1);
                lws_callback_on_writable(wsi);
            } else if (job.deadlines.first_byte_ms != 0) {
                start_deadline(job, job.first_byte_timer, job.deadlines.first_byte_ms);
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
            if (job.body_sent >= job.body.size()) return 0;
            const std::size_t chunk = std::min(job.body.size() - job.body_sent, kWriteChunk);
            const bool last = job.body_sent + chunk == job.body.size();
            std::vector<unsigned char> buf(LWS_PRE + chunk);
            std::memcpy(buf.data() + LWS_PRE, job.body.data() + job.body_sent, chunk);
            if (last) lws_client_http_body_pending(wsi, 0);
            if (lws_write(wsi, buf.data() + LWS_PRE, chunk,
                          last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
                return -1;  // CLOSED follows: dropped
            job.body_sent += chunk;
            if (!last) {
                lws_callback_on_writable(wsi);
            } else if (job.deadlines.first_byte_ms != 0) {
                start_deadline(job, job.first_byte_timer, job.deadlines.first_byte_ms);
            }
            return 0;
        }
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: {
            stop_timer(job.first_byte_timer);
            job.status = static_cast<int>(lws_http_client_http_response(wsi));
            job.phase = Phase::body;
            if (is_2xx(job.status)) {
                job.delivered = true;
                if (job.deadlines.idle_ms != 0)
                    start_deadline(job, job.first_byte_timer, job.deadlines.idle_ms);
                notify(job, [&] { job.http_handler->on_response(job.status); });
            } else {
                char value[32] = {};
                const int n = lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_RETRY_AFTER);
                int seconds = -1;
                if (n > 0) {
                    const auto [ptr, ec] = std::from_chars(value, value + n, seconds);
                    if (ec != std::errc{} || ptr != value + n || seconds < 0) seconds = -1;
                }
                job.retry_after_s = seconds;
            }
            return 0;
        }
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
            char buffer[LWS_PRE + 4096];
            char* px = buffer + LWS_PRE;
            int room = 4096;
            // Pumps the socket: the de-chunked data comes back as RECEIVE_CLIENT_HTTP_READ.
            return lws_http_client_read(wsi, &px, &room) < 0 ? -1 : 0;
        }
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: {
            const auto* data = static_cast<const std::uint8_t*>(in);
            if (is_2xx(job.status)) {
                // The body's idle deadline starts again with every read.
                if (job.deadlines.idle_ms != 0 && !job.attempt_over)
                    start_deadline(job, job.first_byte_timer, job.deadlines.idle_ms);
                if (logger.enabled(LogLevel::debug) && job.logged_body.size() < kLoggedBodyCap)
                    job.logged_body.append(reinterpret_cast<const char*>(data),
                                           std::min(len, kLoggedBodyCap - job.logged_body.size()));
                notify(job, [&] {
                    job.http_handler->on_body(std::span<const std::uint8_t>(data, len));
                });
            } else if (job.error_body.size() < kErrorBodyCap) {
                job.error_body.append(reinterpret_cast<const char*>(data),
                                      std::min(len, kErrorBodyCap - job.error_body.size()));
            }
            return 0;
        }
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP: {
            if (is_2xx(job.status)) {
                job.attempt_over = true;
                log_response(job);
                notify(job, [&] { job.http_handler->on_complete(); });
                finish(job);
                return 0;
            }
            if (logger.enabled(LogLevel::debug)) {
                job.logged_body = job.error_body;
                log_response(job);
            }
            const int s = job.status;
            fail_attempt(job, status_failure(job), s == 429 || s >= 500);
            return 0;
        }
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP: {
            job.wsi = nullptr;
            if (job.status != 0 && !is_2xx(job.status)) {
                // A non-2xx body delimited by the close: the answer is complete enough.
                const int s = job.status;
                fail_attempt(job, status_failure(job), s == 429 || s >= 500);
            } else {
                fail_attempt(
                    job,
                    Failure{FailureKind::dropped, job.status,
                            job.status == 0 ? "the connection closed before the response headers"
                                            : "the connection closed before the response was "
                                              "complete"},
                    false);
            }
            return 0;
        }
        default:
            return 0;
    }
}

}  // namespace ringoverbot::net::client_detail
