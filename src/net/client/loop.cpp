// The cloud client's loop: one lws client context serviced by its own thread (or vhosts in a
// server's context while a server hosts the client), and the mailbox that carries commands
// from any thread to it.
#include "net/client/engine.hpp"

namespace ringoverbot::net::client_detail {

namespace {

const lws_protocols kProtocols[] = {
    {kHttpProtocol, cloud_http_callback, 0, 0, 0, nullptr, 0},
    {kWsProtocol, cloud_ws_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

// ---- Mailbox ------------------------------------------------------------------------------------

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

// ---- ClientEngine: life -------------------------------------------------------------------------

ClientEngine::ClientEngine(ClientConfig cfg, std::string proxy_host, std::uint16_t proxy_port)
    : config(std::move(cfg)),
      logger(config.log, config.min_level),
      proxy_host_(std::move(proxy_host)),
      proxy_port_(proxy_port),
      resolver_([mailbox = mailbox_](std::uint64_t id, std::uint32_t attempt, std::string address,
                                     std::string error) {
          mailbox->post([id, attempt, a = std::move(address),
                         e = std::move(error)](ClientEngine& engine) mutable {
              engine.on_resolved(id, attempt, std::move(a), std::move(e));
          });
      }) {}

ClientEngine::~ClientEngine() {
    // A hosted client's context is the server's; an own loop cleans up on its own thread.
    if (ctx_ != nullptr && !hosted_ && !own_loop_) {
        mailbox_->detach();
        lws_context_destroy(ctx_);
    }
}

Result<void> ClientEngine::start() {
    resolver_.start(2);
    return {};
}

lws_vhost* ClientEngine::make_vhost(lws_context* ctx, const char* name, bool proxy) {
    lws_context_creation_info vi{};
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.vhost_name = name;
    vi.protocols = kProtocols;
    vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    // lws' own wait for response headers (5 s by default); ours are the request deadlines.
    vi.timeout_secs = 30;
    vi.user = this;  // engine_of(): in a server's context, the vhost tells whose wsi it is
    // Added to the system's CAs, not instead of them.
    if (!config.ca_file.empty()) vi.client_ssl_ca_filepath = config.ca_file.c_str();
    if (proxy) {
        vi.http_proxy_address = proxy_host_.c_str();
        vi.http_proxy_port = proxy_port_;
    }
    return lws_create_vhost(ctx, &vi);
}

void ClientEngine::ensure_loop() {
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

Status ClientEngine::host_in(lws_context* ctx) {
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

void ClientEngine::unhost() {
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

void ClientEngine::shutdown() {
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
    resolver_.stop();
}

void ClientEngine::run_loop() {
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

// ---- ClientEngine: the loop's side --------------------------------------------------------------

void ClientEngine::drain_commands() {
    std::deque<Mailbox::Command> commands;
    mailbox_->take(commands);
    for (auto& command : commands) {
        if (stopping) return;
        command(*this);
    }
}

ClientEngine& engine_of(lws* wsi) {
    // The vhost's user: our vhosts may live in a server's context (host_in).
    return *static_cast<ClientEngine*>(lws_get_vhost_user(lws_get_vhost(wsi)));
}

}  // namespace ringoverbot::net::client_detail
