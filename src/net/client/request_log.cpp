// The log lines of the cloud client's requests; every secret masked.
#include "net/client/engine.hpp"

namespace ringoverbot::net::client_detail {

void ClientEngine::handler_threw(const Job& job, const char* what) const {
    LogLine(logger, LogLevel::error, "cloud_handler_threw")
        .str("provider", job.provider)
        .str("what", mask(what));
}

void ClientEngine::log_request(const Job& job) const {
    if (!logger.enabled(LogLevel::debug)) return;
    std::string headers;
    json::Writer w(headers);
    w.begin_object();
    for (const Header& h : job.headers)
        w.field(sanitize_utf8(h.name),
                h.secret ? std::string("***") : sanitize_utf8(mask(h.value)));
    w.end_object();
    LogLine line(logger, LogLevel::debug, job.is_ws ? "cloud_ws_connect" : "cloud_request");
    line.str("provider", job.provider)
        .str("method", job.method)
        .str("url", mask(job.url.text()))
        .raw("headers", headers);
    if (!job.body.empty()) line.str("body", masked_excerpt(job.body, 2048));
}

void ClientEngine::log_response(const Job& job) const {
    if (!logger.enabled(LogLevel::debug)) return;
    LogLine(logger, LogLevel::debug, "cloud_response")
        .str("provider", job.provider)
        .str("url", mask(job.url.text()))
        .num("status", job.status)
        .num("ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.started)
                       .count())
        .str("body", masked_excerpt(job.logged_body, 2048));
}

void ClientEngine::log_failure(const Job& job, const Failure& failure, bool retrying) const {
    LogLine(logger, LogLevel::warn, "cloud_request_failed")
        .str("provider", job.provider)
        .str("url", mask(job.url.text()))
        .str("kind", failure_kind_name(failure.kind))
        .num("status", failure.http_status)
        .str("message", failure.message)
        .unum("attempt", job.attempt)
        .flag("retrying", retrying);
}

}  // namespace ringoverbot::net::client_detail
