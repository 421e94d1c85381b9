// The cloud client's loop: one lws client context serviced by its own thread, commands posted
// from any thread, DNS on resolver threads, per-request deadlines and retries, counters, and
// the secrets every log line is masked with.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "net/client/engine.hpp"

namespace ringoverbot::net {

namespace client_detail {

namespace {

const lws_protocols kProtocols[] = {
    {kHttpProtocol, http_callback, 0, 0, 0, nullptr, 0},
    {kWsProtocol, ws_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

bool is_ip_literal(const std::string& host) {
    in6_addr a6{};
    in_addr a4{};
    return inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// IPv4 first: a dual-stack name is reached the way most servers listen.
std::pair<std::string, std::string> resolve_name(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr) {
        return {{}, "could not resolve " + host + ": " + gai_strerror(rc)};
    }
    std::string v4, v6;
    char buf[INET6_ADDRSTRLEN] = {};
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
        if (a->ai_family == AF_INET && v4.empty()) {
            const auto* sa = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
            if (inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf) != nullptr) v4 = buf;
        } else if (a->ai_family == AF_INET6 && v6.empty()) {
            const auto* sa = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
            if (inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf) != nullptr) v6 = buf;
        }
    }
    freeaddrinfo(res);
    if (!v4.empty()) return {v4, {}};
    if (!v6.empty()) return {v6, {}};
    return {{}, "could not resolve " + host + ": no IPv4 or IPv6 address"};
}

bool no_proxy_matches(const std::vector<std::string>& list, const std::string& host) {
    for (const std::string& raw : list) {
        std::string entry;
        for (char c : raw)
            if (c != ' ') entry += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') {
            if (host.size() > entry.size() && host.ends_with(entry)) return true;
            if (host == entry.substr(1)) return true;
        } else if (host == entry || (host.size() > entry.size() && host.ends_with(entry) &&
                                     host[host.size() - entry.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

class HttpHandle final : public providers::Request {
  public:
    HttpHandle(std::shared_ptr<Token> token, std::shared_ptr<Mailbox> mailbox)
        : token_(std::move(token)), mailbox_(std::move(mailbox)) {}
    ~HttpHandle() override { cancel(); }
    void cancel() override {
        if (token_->cancelled.exchange(true)) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](Impl& impl) { impl.cancel_job(id); });
    }

  private:
    std::shared_ptr<Token> token_;
    std::shared_ptr<Mailbox> mailbox_;
};

class WsHandle final : public WsConnection {
  public:
    WsHandle(std::shared_ptr<Token> token, std::shared_ptr<Mailbox> mailbox)
        : token_(std::move(token)), mailbox_(std::move(mailbox)) {}
    ~WsHandle() override { cancel(); }
    void cancel() override {
        if (token_->cancelled.exchange(true)) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](Impl& impl) { impl.cancel_job(id); });
    }
    void send_text(std::string text) override {
        send(OutMessage{std::vector<std::uint8_t>(text.begin(), text.end()), false});
    }
    void send_binary(std::vector<std::uint8_t> data) override {
        send(OutMessage{std::move(data), true});
    }
    void close() override {
        if (token_->cancelled.load()) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](Impl& impl) { impl.ws_close(id); });
    }

  private:
    void send(OutMessage message) {
        if (token_->cancelled.load()) return;
        const std::uint64_t id = token_->id;
        mailbox_->post(
            [id, m = std::move(message)](Impl& impl) mutable { impl.ws_send(id, std::move(m)); });
    }
    std::shared_ptr<Token> token_;
    std::shared_ptr<Mailbox> mailbox_;
};

void timer_fired(lws_sorted_usec_list_t* sul) {
    auto* timer = reinterpret_cast<JobTimer*>(sul);
    timer->impl->on_timer(*timer);
}

}  // namespace

// ---- Mailbox --------------------------------------------------------------------------------

void Mailbox::attach(lws_context* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_ = ctx;
}

void Mailbox::detach() {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_ = nullptr;
    commands_.clear();
}

void Mailbox::post(Command command) {
    // lws_cancel_service is the one thread-safe lws call; the lock keeps the context alive
    // under it (detach() takes the lock before the context goes).
    std::lock_guard<std::mutex> lock(mu_);
    if (ctx_ == nullptr) return;
    if (command) commands_.push_back(std::move(command));
    lws_cancel_service(ctx_);
}

void Mailbox::take(std::deque<Command>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(commands_);
}

// ---- Impl: life -------------------------------------------------------------------------------

Impl::Impl(ClientConfig cfg, std::string proxy_host, std::uint16_t proxy_port)
    : config(std::move(cfg)),
      logger(config.log, config.min_level),
      proxy_host_(std::move(proxy_host)),
      proxy_port_(proxy_port) {}

Impl::~Impl() {
    // A hosted client's context is the server's; an own loop cleans up on its own thread.
    if (ctx_ != nullptr && !hosted_ && !own_loop_) {
        mailbox_->detach();
        lws_context_destroy(ctx_);
    }
}

Result<void> Impl::start() {
    for (int i = 0; i < 2; ++i) resolvers_.emplace_back([this] { resolver_main(); });
    return {};
}

lws_vhost* Impl::make_vhost(lws_context* ctx, const char* name, bool proxy) {
    lws_context_creation_info vi{};
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.vhost_name = name;
    vi.protocols = kProtocols;
    vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    // lws' own wait for response headers (5 s by default); ours are the request deadlines.
    vi.timeout_secs = 30;
    vi.user = this;  // impl_of(): in a server's context, the vhost tells whose wsi it is
    // Added to the system's CAs, not instead of them.
    if (!config.ca_file.empty()) vi.client_ssl_ca_filepath = config.ca_file.c_str();
    if (proxy) {
        vi.http_proxy_address = proxy_host_.c_str();
        vi.http_proxy_port = proxy_port_;
    }
    return lws_create_vhost(ctx, &vi);
}

void Impl::ensure_loop() {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (own_loop_ || hosted_ || stop_.load()) return;
    log_route_ = std::make_unique<LwsLogRoute>(&logger);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.protocols = kProtocols;
    info.user = this;
    info.timeout_secs = 30;
    ctx_ = lws_create_context(&info);
    if (ctx_ != nullptr) {
        direct_vhost_ = make_vhost(ctx_, "direct", false);
        if (direct_vhost_ != nullptr && !proxy_host_.empty())
            proxy_vhost_ = make_vhost(ctx_, "proxy", true);
    }
    if (ctx_ == nullptr || direct_vhost_ == nullptr ||
        (!proxy_host_.empty() && proxy_vhost_ == nullptr)) {
        // create() checked the CA file and the proxy: this is lws failing.
        LogLine(logger, LogLevel::error, "cloud_client_failed")
            .str("message", "the client's libwebsockets context could not be made");
        if (ctx_ != nullptr) lws_context_destroy(ctx_);
        ctx_ = nullptr;
        direct_vhost_ = proxy_vhost_ = nullptr;
        log_route_.reset();
        return;
    }
    mailbox_->attach(ctx_);
    own_loop_ = true;
    // The thread keeps the state alive: the facade may go on any thread, this one included.
    loop_thread_ = std::thread([self = shared_from_this()] { self->run_loop(); });
}

Status Impl::host_in(lws_context* ctx) {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (hosted_) return Status(Errc::invalid_state, "the cloud client is hosted already");
    if (own_loop_) {
        // Moving live connections between contexts is not possible; an idle loop can go.
        if (jobs_alive_.load() != 0)
            return Status(Errc::invalid_state, "the cloud client has requests in flight");
        stop_.store(true);
        mailbox_->post(nullptr);
        loop_thread_.join();
        stop_.store(false);
        own_loop_ = false;
    }
    direct_vhost_ = make_vhost(ctx, "rob-cloud-direct", false);
    proxy_vhost_ = nullptr;
    if (direct_vhost_ != nullptr && !proxy_host_.empty())
        proxy_vhost_ = make_vhost(ctx, "rob-cloud-proxy", true);
    if (direct_vhost_ == nullptr || (!proxy_host_.empty() && proxy_vhost_ == nullptr)) {
        direct_vhost_ = proxy_vhost_ = nullptr;  // they go with the server's context
        return Status(Errc::internal, "the cloud client's vhosts could not be made");
    }
    ctx_ = ctx;
    hosted_ = true;
    stopping = false;
    mailbox_->attach(ctx_);
    return {};
}

void Impl::unhost() {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (!hosted_) return;
    mailbox_->detach();
    stopping = true;  // requests in flight end with no handler call
    for (auto& [id, job] : jobs_) {
        stop_timer(job->connect_timer);
        stop_timer(job->first_byte_timer);
        stop_timer(job->total_timer);
        stop_timer(job->backoff_timer);
        drop_connection(*job);  // its wsi forgets the job before the server's context goes
    }
    jobs_alive_.fetch_sub(jobs_.size());
    jobs_.clear();
    ctx_ = nullptr;
    direct_vhost_ = proxy_vhost_ = nullptr;  // destroyed with the server's context
    hosted_ = false;
    stopping = false;
}

void Impl::stop_resolvers() {
    {
        std::lock_guard<std::mutex> lock(resolve_mu_);
        resolve_stop_ = true;
    }
    resolve_cv_.notify_all();
    for (std::thread& t : resolvers_)
        if (t.joinable()) {
            if (t.get_id() == std::this_thread::get_id())
                t.detach();
            else
                t.join();
        }
    resolvers_.clear();
}

void Impl::shutdown() {
    stop_.store(true);
    {
        std::lock_guard<std::mutex> lock(loop_mu_);
        if (own_loop_) {
            mailbox_->post(nullptr);  // wakes the loop
            if (loop_thread_.get_id() == std::this_thread::get_id())
                loop_thread_.detach();  // the loop ends when this handler returns
            else
                loop_thread_.join();
            own_loop_ = false;
        }
    }
    stop_resolvers();
}

void Impl::run_loop() {
    while (!stop_.load()) {
        if (lws_service(ctx_, 0) < 0) break;
    }
    mailbox_->detach();
    stopping = true;  // requests in flight end with no handler call
    for (auto& [id, job] : jobs_) {
        stop_timer(job->connect_timer);
        stop_timer(job->first_byte_timer);
        stop_timer(job->total_timer);
        stop_timer(job->backoff_timer);
    }
    lws_context_destroy(ctx_);
    ctx_ = nullptr;
    direct_vhost_ = proxy_vhost_ = nullptr;
    jobs_alive_.fetch_sub(jobs_.size());
    jobs_.clear();
    stopping = false;
    log_route_.reset();
}

void Impl::resolver_main() {
    for (;;) {
        ResolveTask task;
        {
            std::unique_lock<std::mutex> lock(resolve_mu_);
            resolve_cv_.wait(lock, [&] { return resolve_stop_ || !resolve_queue_.empty(); });
            if (resolve_stop_) return;
            task = std::move(resolve_queue_.front());
            resolve_queue_.pop_front();
        }
        auto [address, error] = resolve_name(task.host);
        mailbox_->post([id = task.id, attempt = task.attempt, a = std::move(address),
                        e = std::move(error)](Impl& impl) mutable {
            impl.on_resolved(id, attempt, std::move(a), std::move(e));
        });
    }
}

// ---- Impl: requests in (any thread) -----------------------------------------------------------

void Impl::submit(std::unique_ptr<Job> job) {
    for (const Header& h : job->headers)
        if (h.secret) add_secret(h.value);
    count_request(job->provider, false);
    jobs_alive_.fetch_add(1);
    ensure_loop();
    auto holder = std::make_shared<std::unique_ptr<Job>>(std::move(job));
    mailbox_->post([holder](Impl& impl) { impl.add_job(std::move(*holder)); });
}

std::unique_ptr<providers::Request> Impl::http(HttpRequest request,
                                               std::shared_ptr<HttpHandler> handler) {
    auto job = std::make_unique<Job>();
    job->id = next_id_.fetch_add(1);
    job->token = std::make_shared<Token>(job->id);
    job->provider = std::move(request.provider);
    job->url = std::move(request.url);
    job->headers = std::move(request.headers);
    job->deadlines = request.deadlines;
    job->retry = request.retry;
    job->may_retry = request.idempotent;
    job->method = std::move(request.method);
    job->content_type = std::move(request.content_type);
    job->body = std::move(request.body);
    job->http_handler = std::move(handler);
    auto handle = std::make_unique<HttpHandle>(job->token, mailbox_);
    submit(std::move(job));
    return handle;
}

std::unique_ptr<WsConnection> Impl::websocket(WsRequest request,
                                              std::shared_ptr<WsHandler> handler) {
    auto job = std::make_unique<Job>();
    job->id = next_id_.fetch_add(1);
    job->is_ws = true;
    job->token = std::make_shared<Token>(job->id);
    job->provider = std::move(request.provider);
    job->url = std::move(request.url);
    job->headers = std::move(request.headers);
    job->deadlines = request.deadlines;
    job->retry = request.retry;
    job->may_retry = request.retry_connect;
    job->method = "GET";
    job->max_message_bytes = request.max_message_bytes;
    job->ws_handler = std::move(handler);
    auto handle = std::make_unique<WsHandle>(job->token, mailbox_);
    submit(std::move(job));
    return handle;
}

// ---- Impl: the loop's side --------------------------------------------------------------------

void Impl::drain_commands() {
    std::deque<Mailbox::Command> commands;
    mailbox_->take(commands);
    for (auto& command : commands) {
        if (stopping) return;
        command(*this);
    }
}

bool Impl::live(const Job& job) const {
    return !stopping && !job.token->cancelled.load();
}

void Impl::handler_threw(const Job& job, const char* what) const {
    LogLine(logger, LogLevel::error, "cloud_handler_threw")
        .str("provider", job.provider)
        .str("what", mask(what));
}

void Impl::add_job(std::unique_ptr<Job> owned) {
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
        t->impl = this;
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

void Impl::begin_attempt(Job& job) {
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
    {
        std::lock_guard<std::mutex> lock(resolve_mu_);
        resolve_queue_.push_back(ResolveTask{job.id, job.attempt, job.url.host});
    }
    resolve_cv_.notify_one();
}

void Impl::on_resolved(std::uint64_t id, std::uint32_t attempt, std::string address,
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

void Impl::connect(Job& job) {
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

Job* Impl::job_of(lws* wsi) {
    const auto id = reinterpret_cast<std::uintptr_t>(lws_get_opaque_user_data(wsi));
    if (id == 0) return nullptr;
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return nullptr;
    Job& job = *it->second;
    if (job.wsi == nullptr && job.connecting_now) job.wsi = wsi;
    return job.wsi == wsi ? &job : nullptr;
}

void Impl::cancel_job(std::uint64_t id) {
    const auto it = jobs_.find(id);
    if (it != jobs_.end()) finish(*it->second);
}

void Impl::ws_send(std::uint64_t id, OutMessage message) {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Job& job = *it->second;
    if (job.close_wanted) return;
    job.outq.push_back(std::move(message));
    if (job.phase == Phase::open && job.wsi != nullptr) lws_callback_on_writable(job.wsi);
}

void Impl::ws_close(std::uint64_t id) {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Job& job = *it->second;
    // Before the socket is open the close waits: the queue goes first, then the close frame.
    job.close_wanted = true;
    if (job.phase == Phase::open && job.wsi != nullptr) lws_callback_on_writable(job.wsi);
}

void Impl::start_deadline(Job& job, JobTimer& timer, std::uint32_t ms) {
    (void)job;
    lws_sul_schedule(ctx_, 0, &timer.sul, timer_fired, static_cast<lws_usec_t>(ms) * LWS_US_PER_MS);
}

void Impl::stop_timer(JobTimer& timer) {
    lws_sul_cancel(&timer.sul);
}

void Impl::on_timer(JobTimer& timer) {
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

void Impl::drop_connection(Job& job) {
    if (job.wsi == nullptr) return;
    lws* wsi = job.wsi;
    job.wsi = nullptr;
    // Its remaining callbacks find no job; lws closes it on its next turn (at once).
    lws_set_opaque_user_data(wsi, nullptr);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void Impl::fail_attempt(Job& job, Failure failure, bool retryable) {
    if (job.attempt_over) return;
    job.attempt_over = true;
    stop_timer(job.connect_timer);
    stop_timer(job.first_byte_timer);
    drop_connection(job);
    failure.message = mask(failure.message);
    count_failure(job.provider, failure.kind);
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
        count_request(job.provider, true);
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

void Impl::finish(Job& job) {
    stop_timer(job.connect_timer);
    stop_timer(job.first_byte_timer);
    stop_timer(job.total_timer);
    stop_timer(job.backoff_timer);
    drop_connection(job);
    if (jobs_.erase(job.id) != 0) jobs_alive_.fetch_sub(1);
}

Failure Impl::status_failure(const Job& job) const {
    const int s = job.status;
    const FailureKind kind = status_kind(s);
    std::string message = "HTTP " + std::to_string(s);
    const std::string excerpt = one_line(job.error_body, 200);
    if (!excerpt.empty()) message += ": " + excerpt;
    return Failure{kind, s, std::move(message)};
}

// ---- logging and secrets --------------------------------------------------------------------

void Impl::add_secret(const std::string& value) {
    std::vector<std::string> found;
    if (value.size() >= 4) found.push_back(value);
    // "Bearer sk-...", "Token ...": the key alone may appear in a body too.
    const auto space = value.find_last_of(' ');
    if (space != std::string::npos && value.size() - space - 1 >= 8)
        found.push_back(value.substr(space + 1));
    std::lock_guard<std::mutex> lock(secrets_mu_);
    for (std::string& s : found) {
        if (std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end()) continue;
        if (secrets_.size() >= 256) secrets_.erase(secrets_.end() - 1);
        secrets_.push_back(std::move(s));
    }
    std::sort(secrets_.begin(), secrets_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Impl::mask(std::string_view text) const {
    std::string out(text);
    std::lock_guard<std::mutex> lock(secrets_mu_);
    for (const std::string& secret : secrets_) {
        std::size_t at = 0;
        while ((at = out.find(secret, at)) != std::string::npos) {
            out.replace(at, secret.size(), "***");
            at += 3;
        }
    }
    return out;
}

std::string Impl::masked_excerpt(std::string_view body, std::size_t cap) const {
    // Masked before the cut, so a secret across the cut cannot leak its first half.
    std::string masked = mask(body);
    if (masked.size() <= cap) return masked;
    std::size_t cut = cap;
    while (cut > 0 && (static_cast<unsigned char>(masked[cut]) & 0xC0) == 0x80) --cut;
    masked.resize(cut);
    masked += "...(" + std::to_string(body.size()) + " bytes)";
    return masked;
}

void Impl::log_request(const Job& job) const {
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

void Impl::log_response(const Job& job) const {
    if (!logger.enabled(LogLevel::debug)) return;
    LogLine(logger, LogLevel::debug, "cloud_response")
        .str("provider", job.provider)
        .str("url", mask(job.url.text()))
        .num("status", job.status)
        .num("ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.started)
                       .count())
        .str("body", masked_excerpt(job.logged_body, 2048));
}

void Impl::log_failure(const Job& job, const Failure& failure, bool retrying) const {
    LogLine(logger, LogLevel::warn, "cloud_request_failed")
        .str("provider", job.provider)
        .str("url", mask(job.url.text()))
        .str("kind", failure_kind_name(failure.kind))
        .num("status", failure.http_status)
        .str("message", failure.message)
        .unum("attempt", job.attempt)
        .flag("retrying", retrying);
}

// ---- counters -------------------------------------------------------------------------------

void Impl::count_failure(const std::string& provider, FailureKind kind) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_[provider].failures.at(static_cast<std::size_t>(kind));
}

void Impl::count_request(const std::string& provider, bool retry) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ProviderStats& s = stats_[provider];
    if (retry)
        ++s.retries;
    else
        ++s.requests;
}

std::vector<providers::CloudClient::ErrorCount> Impl::error_counts() const {
    std::vector<providers::CloudClient::ErrorCount> out;
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& [provider, s] : stats_) {
        for (std::size_t k = 0; k < kFailureKindCount; ++k) {
            if (s.failures[k] == 0) continue;
            out.push_back({provider, std::string(failure_kind_name(static_cast<FailureKind>(k))),
                           s.failures[k]});
        }
    }
    return out;
}

std::uint64_t Impl::requests(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.requests;
}

std::uint64_t Impl::retries(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.retries;
}

std::uint64_t Impl::reused_connections(std::string_view provider) const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    const auto it = stats_.find(provider);
    return it == stats_.end() ? 0 : it->second.reused;
}

// ---- helpers --------------------------------------------------------------------------------

Impl& impl_of(lws* wsi) {
    // The vhost's user: our vhosts may live in a server's context (host_in).
    return *static_cast<Impl*>(lws_get_vhost_user(lws_get_vhost(wsi)));
}

FailureKind status_kind(int status) noexcept {
    if (status == 401 || status == 403) return FailureKind::unauthorized;
    if (status == 429) return FailureKind::rate_limited;
    if (status >= 500) return FailureKind::server_error;
    return FailureKind::client_error;
}

std::string connection_error_text(const void* in, std::size_t len) {
    if (in == nullptr) return "connection error";
    const auto* text = static_cast<const char*>(in);
    return std::string(text, len != 0 ? len : strnlen(text, 512));
}

FailureKind connection_error_kind(std::string_view text) noexcept {
    std::string lower;
    try {
        lower.reserve(text.size());
        for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } catch (...) {
        return FailureKind::connect;
    }
    for (const char* word : {"ssl", "tls", "certificate", "hostname mismatch", "x509"})
        if (lower.find(word) != std::string::npos) return FailureKind::tls;
    return FailureKind::connect;
}

std::string one_line(std::string_view text, std::size_t cap) {
    std::size_t cut = std::min(cap, text.size());
    if (cut < text.size())
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    std::string out(text.substr(0, cut));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace client_detail

// ---- the public face --------------------------------------------------------------------------

namespace {

class LoopFacade final : public ClientLoop {
  public:
    explicit LoopFacade(std::shared_ptr<client_detail::Impl> impl) : impl_(std::move(impl)) {}
    ~LoopFacade() override { impl_->shutdown(); }
    std::unique_ptr<providers::Request> http(HttpRequest request,
                                             std::shared_ptr<HttpHandler> handler) override {
        return impl_->http(std::move(request), std::move(handler));
    }
    std::unique_ptr<WsConnection> websocket(WsRequest request,
                                            std::shared_ptr<WsHandler> handler) override {
        return impl_->websocket(std::move(request), std::move(handler));
    }
    std::vector<ErrorCount> error_counts() const override { return impl_->error_counts(); }
    std::uint64_t requests(std::string_view p) const override { return impl_->requests(p); }
    std::uint64_t retries(std::string_view p) const override { return impl_->retries(p); }
    std::uint64_t reused_connections(std::string_view p) const override {
        return impl_->reused_connections(p);
    }
    std::string mask(std::string_view text) const override { return impl_->mask(text); }
    Status host_in(lws_context* ctx) override { return impl_->host_in(ctx); }
    void unhost() override { impl_->unhost(); }

  private:
    std::shared_ptr<client_detail::Impl> impl_;
};

Result<std::pair<std::string, std::uint16_t>> parse_proxy(const std::string& text) {
    auto url = parse_url(text);
    if (!url || url->scheme != Scheme::http || (url->path != "/" && !url->path.empty()))
        return Error{Errc::invalid_argument, "bad https_proxy \"" +
                                                 client_detail::one_line(text, 200) +
                                                 "\": want http://host:port"};
    std::string host = url->host;
    if (!client_detail::is_ip_literal(host)) {
        // lws resolves the proxy on its loop, synchronously: hand it an address.
        auto [address, error] = client_detail::resolve_name(host);
        if (!error.empty()) return Error{Errc::invalid_argument, "https_proxy: " + error};
        host = address;
    }
    return std::make_pair(host, url->port);
}

}  // namespace

Result<std::shared_ptr<ClientLoop>> ClientLoop::create(ClientConfig config) {
    if (!config.ca_file.empty()) {
        std::FILE* f = std::fopen(config.ca_file.c_str(), "rb");
        if (f == nullptr)
            return Error{Errc::invalid_argument,
                         "cannot read the CA file " + config.ca_file + ": " + std::strerror(errno)};
        std::string head(65536, '\0');
        head.resize(std::fread(head.data(), 1, head.size(), f));
        std::fclose(f);
        if (head.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return Error{Errc::invalid_argument,
                         "the CA file " + config.ca_file + " holds no PEM certificate"};
    }
    std::string proxy_host;
    std::uint16_t proxy_port = 0;
    if (!config.https_proxy.empty()) {
        auto proxy = parse_proxy(config.https_proxy);
        if (!proxy) return proxy.error();
        proxy_host = proxy->first;
        proxy_port = proxy->second;
    }
    auto impl =
        std::make_shared<client_detail::Impl>(std::move(config), std::move(proxy_host), proxy_port);
    auto started = impl->start();
    if (!started) return started.error();
    return std::shared_ptr<ClientLoop>(std::make_shared<LoopFacade>(std::move(impl)));
}

Result<std::shared_ptr<providers::CloudClient>> make_cloud_client(CloudClientConfig config) {
    auto loop = ClientLoop::create(std::move(config));
    if (!loop) return loop.error();
    return std::shared_ptr<providers::CloudClient>(std::move(*loop));
}

}  // namespace ringoverbot::net
