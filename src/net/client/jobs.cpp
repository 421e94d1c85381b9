// The attempt machine of the cloud client's requests: a request's checks, its attempts (resolve,
// connect), its deadlines, its retries with backoff, and its end.
#include <algorithm>
#include <cmath>

#include "net/client/engine.hpp"
#include "net/client/proxy.hpp"

namespace ringoverbot::net::client_detail {

namespace {

void timer_fired(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<JobTimer*>(sul);
    timer->engine->on_timer(*timer);
}

}  // namespace

bool ClientEngine::live(const Job& job) const {
    return !stopping && !job.token->cancelled.load();
}

void ClientEngine::add_job(std::unique_ptr<Job> owned) {
    if (!owned) return;
    if (owned->token->cancelled.load()) {
        jobs_alive_.fetch_sub(1);  // cancelled before it started
        return;
    }
    Job& job = *owned;
    jobs_[job.id] = std::move(owned);
    for (JobTimer* t :
         {&job.connect_timer, &job.first_byte_timer, &job.total_timer, &job.backoff_timer}) {
        t->job = &job;
        t->engine = this;
    }
    job.started = Clock::now();
    const bool ws_url = job.url.scheme == Scheme::ws || job.url.scheme == Scheme::wss;
    std::string bad;
    if (job.url.host.empty() || job.url.port == 0)
        bad = "the request has no URL";
    else if (ws_url != job.is_ws)
        bad = job.is_ws ? "a WebSocket needs a ws:// or wss:// URL"
                        : "an HTTP request needs an http:// or https:// URL";
    else if (!job.is_ws &&
             (job.method.empty() || job.method.find_first_of(" \r\n") != std::string::npos))
        bad = "a bad HTTP method";
    for (const Header& h : job.headers) {
        if (h.name.empty() || h.name.find_first_of(" :\r\n") != std::string::npos ||
            h.value.find_first_of("\r\n") != std::string::npos)
            bad = "a bad header name or value";
    }
    if (!bad.empty()) {
        job.attempt = 1;
        fail_attempt(job, Failure{FailureKind::client_error, 0, bad}, false);
        return;
    }
    if (job.deadlines.total_ms != 0) start_deadline(job, job.total_timer, job.deadlines.total_ms);
    log_request(job);
    begin_attempt(job);
}

void ClientEngine::begin_attempt(Job& job) {
    ++job.attempt;
    job.attempt_over = false;
    job.status = 0;
    job.retry_after_s = -1;
    job.error_body.clear();
    job.logged_body.clear();
    job.body_sent = 0;
    job.rx.clear();
    job.peer_close_code = 0;
    job.close_sent = false;
    job.attempt_started = Clock::now();
    if (job.deadlines.connect_ms != 0)
        start_deadline(job, job.connect_timer, job.deadlines.connect_ms);
    job.proxied = proxy_vhost_ != nullptr && job.url.tls() &&
                  !no_proxy_matches(config.no_proxy, job.url.host);
    if (job.proxied || is_ip_literal(job.url.host)) {
        // Through the proxy the name goes in CONNECT and the proxy resolves it.
        job.address = job.url.host;
        connect(job);
        return;
    }
    job.phase = Phase::resolving;
    resolver_.resolve(job.id, job.attempt, job.url.host);
}

void ClientEngine::on_resolved(std::uint64_t id, std::uint32_t attempt, std::string address,
                               std::string error) {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Job& job = *it->second;
    if (job.attempt != attempt || job.phase != Phase::resolving || job.attempt_over) return;
    if (!error.empty()) {
        fail_attempt(job, Failure{FailureKind::dns, 0, std::move(error)}, true);
        return;
    }
    job.address = std::move(address);
    connect(job);
}

void ClientEngine::connect(Job& job) {
    job.phase = Phase::connecting;
    const Url& url = job.url;
    const bool v6 = url.host.find(':') != std::string::npos;
    const std::uint16_t default_port = url.tls() ? 443 : 80;
    // The Host header; lws strips the port for SNI and the certificate check.
    job.host_header = url.host;
    if (url.port != default_port && !v6) job.host_header += ":" + std::to_string(url.port);
    job.path = url.path;
    lws_client_connect_info ci{};
    ci.context = ctx_;
    ci.vhost = job.proxied ? proxy_vhost_ : direct_vhost_;
    ci.address = job.address.c_str();
    ci.port = url.port;
    ci.path = job.path.c_str();
    ci.host = job.host_header.c_str();
    // An Origin header only for WebSockets (lws sends "http://<origin>"); API calls need none.
    ci.origin = job.is_ws ? job.host_header.c_str() : nullptr;
    ci.ssl_connection = (url.tls() ? LCCSCF_USE_SSL : 0) | LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
    ci.alpn = "http/1.1";  // h2 is compiled in; every request here is h1
    if (job.is_ws) {
        ci.protocol = nullptr;  // no Sec-WebSocket-Protocol header
        ci.local_protocol_name = kWsProtocol;
    } else {
        ci.method = job.method.c_str();
        ci.protocol = kHttpProtocol;
    }
    ci.opaque_user_data = reinterpret_cast<void*>(static_cast<std::uintptr_t>(job.id));
    ci.pwsi = &job.wsi;
    job.wsi = nullptr;
    std::string sync_error;
    job.sync_error = &sync_error;
    job.connecting_now = true;
    lws* wsi = lws_client_connect_via_info(&ci);
    job.connecting_now = false;
    job.sync_error = nullptr;
    if (wsi == nullptr || !sync_error.empty()) {
        job.wsi = nullptr;  // lws has closed it
        if (sync_error.empty()) sync_error = "connect failed";
        const FailureKind kind = connection_error_kind(sync_error);
        fail_attempt(job,
                     Failure{kind, 0,
                             "connect to " + url.host + ":" + std::to_string(url.port) + ": " +
                                 one_line(sync_error, 200)},
                     kind != FailureKind::tls);
        return;
    }
    job.wsi = wsi;
}

Job* ClientEngine::job_of(lws* wsi) {
    const auto id = reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi));
    if (id == 0) return nullptr;
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return nullptr;
    Job& job = *it->second;
    if (job.wsi == nullptr && job.connecting_now) job.wsi = wsi;
    return job.wsi == wsi ? &job : nullptr;
}

void ClientEngine::start_deadline(Job& job, JobTimer& timer, std::uint32_t ms) {
    (void)job;
    lws_sul_schedule(ctx_, 0, &timer.sul, timer_fired, static_cast<lws_usec_t>(ms) * LWS_US_PER_MS);
}

void ClientEngine::stop_timer(JobTimer& timer) {
    lws_sul_cancel(&timer.sul);
}

void ClientEngine::on_timer(JobTimer& timer) {
    Job& job = *timer.job;
    if (&timer == &job.backoff_timer) {
        begin_attempt(job);
        return;
    }
    if (&timer == &job.total_timer) {
        job.may_retry = false;
        Failure failure{
            FailureKind::timeout, job.status,
            "the request took longer than " + std::to_string(job.deadlines.total_ms) + " ms"};
        // Between attempts the last attempt was reported already; this ends the request.
        if (job.phase == Phase::backoff) job.attempt_over = false;
        fail_attempt(job, std::move(failure), false);
        return;
    }
    if (job.attempt_over) return;
    if (&timer == &job.connect_timer) {
        fail_attempt(
            job,
            Failure{FailureKind::timeout, 0,
                    "no connection to " + job.url.host + ":" + std::to_string(job.url.port) +
                        " within " + std::to_string(job.deadlines.connect_ms) + " ms"},
            true);
    } else if (&timer == &job.first_byte_timer && job.phase == Phase::body) {
        fail_attempt(job,
                     Failure{FailureKind::timeout, job.status,
                             "the response stalled: no data for " +
                                 std::to_string(job.deadlines.idle_ms) + " ms"},
                     false);
    } else if (&timer == &job.first_byte_timer) {
        fail_attempt(job,
                     Failure{FailureKind::timeout, 0,
                             "no response headers within " +
                                 std::to_string(job.deadlines.first_byte_ms) + " ms"},
                     true);
    }
}

void ClientEngine::drop_connection(Job& job) {
    if (job.wsi == nullptr) return;
    lws* wsi = job.wsi;
    job.wsi = nullptr;
    // Its remaining callbacks find no job; lws closes it on its next turn (at once).
    lws_set_opaque_user_data(wsi, nullptr);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void ClientEngine::fail_attempt(Job& job, Failure failure, bool retryable) {
    if (job.attempt_over) return;
    job.attempt_over = true;
    stop_timer(job.connect_timer);
    stop_timer(job.first_byte_timer);
    drop_connection(job);
    failure.message = mask(failure.message);
    counters_.count_failure(job.provider, failure.kind);
    const bool retry = retryable && job.may_retry && !job.delivered &&
                       job.attempt < job.retry.max_attempts && live(job);
    log_failure(job, failure, retry);
    if (retry) {
        double delay = static_cast<double>(job.retry.base_backoff_ms) *
                       std::pow(2.0, static_cast<double>(job.attempt - 1));
        delay *= 1.0 + std::uniform_real_distribution<double>(0.0, 0.5)(rng_);
        if (job.retry_after_s >= 0) delay = 1000.0 * job.retry_after_s;
        delay = std::min(delay, static_cast<double>(job.retry.max_backoff_ms));
        job.phase = Phase::backoff;
        counters_.count_request(job.provider, true);
        lws_sul_schedule(ctx_, 0, &job.backoff_timer.sul, timer_fired,
                         static_cast<lws_usec_t>(delay * 1000.0));
        return;
    }
    notify(job, [&] {
        if (job.is_ws)
            job.ws_handler->on_failure(failure);
        else
            job.http_handler->on_failure(failure);
    });
    finish(job);
}

void ClientEngine::finish(Job& job) {
    stop_timer(job.connect_timer);
    stop_timer(job.first_byte_timer);
    stop_timer(job.total_timer);
    stop_timer(job.backoff_timer);
    drop_connection(job);
    if (jobs_.erase(job.id) != 0) jobs_alive_.fetch_sub(1);
}

Failure ClientEngine::status_failure(const Job& job) const {
    const int s = job.status;
    const FailureKind kind = status_kind(s);
    std::string message = "HTTP " + std::to_string(s);
    const std::string excerpt = one_line(job.error_body, 200);
    if (!excerpt.empty()) message += ": " + excerpt;
    return Failure{kind, s, std::move(message)};
}

}  // namespace ringoverbot::net::client_detail
