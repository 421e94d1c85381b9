// The server's context and loop: one libwebsockets context, one vhost on one port, two
// protocols ("http" gets every plain HTTP request, "ringover-stream" is the default WebSocket
// protocol so that peers without Sec-WebSocket-Protocol, as media servers are, land on it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "net/client/client.hpp"
#include "net/server/routing.hpp"
#include "net/server/server_impl.hpp"
#include "net/server/shared_listener.hpp"
#include "net/server/stream_session.hpp"
#include "net/server/worker_board.hpp"

namespace ringoverbot::net {

// ---- WakeQueue ------------------------------------------------------------------------------

void WakeQueue::attach(lws_context* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_ = ctx;
}

void WakeQueue::detach() {
    std::lock_guard<std::mutex> lock(mu_);
    ctx_ = nullptr;
    ids_.clear();
}

void WakeQueue::wake(StreamId id) noexcept {
    // lws_cancel_service is the one thread-safe lws call; holding the lock keeps the context
    // from being destroyed under it (detach() takes the lock first).
    std::lock_guard<std::mutex> lock(mu_);
    if (ctx_ == nullptr) return;
    try {
        ids_.push_back(id);
    } catch (...) {
        return;  // out of memory: the call's own timer still polls it
    }
    lws_cancel_service(ctx_);
}

void WakeQueue::take(std::vector<StreamId>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(ids_);
}

// ---- Impl -----------------------------------------------------------------------------------

Server::Impl::Impl(ServerConfig cfg, agent::Providers prov)
    : config(std::move(cfg)),
      providers(std::move(prov)),
      call_config(std::make_shared<const agent::CallConfig>(config.call)),
      logger(config.log, config.min_level),
      metrics(config.worker ? config.worker->impl().slot().metrics : own_metrics),
      linker(agent::LinkerConfig{config.link_window_s, 4 * 3600.0, 4096}) {
    if (!config.recording_dir.empty()) {
        // One encoder thread per core but the loop's (bench_recording: ~2% of a core a call).
        const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
        recording_encoder = std::make_unique<RecordingEncoder>(
            cores - 1, [m = &metrics](const EncodedFile& f, bool ok) {
                if (ok)
                    Metrics::add(m->recordings);
                else if (!f.reported())
                    Metrics::add(m->recording_failures);
            });
    }
}

Server::Impl::~Impl() {
    wakes->detach();
    directory.reset();  // frees its Redis sockets while the context they joined still exists
    if (ctx != nullptr) {
        // Closes every socket; the callbacks still see a whole Impl.
        lws_context_destroy(ctx);
        ctx = nullptr;
    }
    sessions.clear();
}

std::int64_t Server::Impl::now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

double Server::Impl::wall_now() const {
    if (config.wall_clock) return config.wall_clock();
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

Server::Impl& impl_of(lws* wsi) {
    return *static_cast<Server::Impl*>(lws_context_user(lws_get_context(wsi)));
}

namespace {

void drain_timer_fired(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<LoopTimer*>(sul)->owner->on_drain_timeout();
}

void give_up_timer_fired(lws_sorted_usec_list_t* sul) {
    Server::Impl& impl = *reinterpret_cast<LoopTimer*>(sul)->owner;
    impl.give_up = true;
    LogLine(impl.logger, LogLevel::warn, "drain_give_up").unum("calls", impl.sessions.size());
}

void call_timer_fired(lws_sorted_usec_list_t* sul) {
    Server::Impl& m = *reinterpret_cast<LoopTimer*>(sul)->owner;
    m.call_timer_at = agent::Call::kNever;  // lws unlinked it before this call
    m.serve_deadlines();
}

// Why binding failed, for the error message: lws only logs "ERROR on binding".
std::string bind_problem(const std::string& host, std::uint16_t port) {
    auto ip = ip_address(host, port);
    if (!ip) return "not an IP address";
    auto& [ss, len, family] = *ip;
    const int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) return std::strerror(errno);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    std::string problem = "unknown reason";
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) problem = std::strerror(errno);
    close(fd);
    return problem;
}

void ready_timer_fired(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<LoopTimer*>(sul)->owner->publish_ready();
}

void cloud_timer_fired(lws_sorted_usec_list_t* sul) {
    Server::Impl& m = *reinterpret_cast<LoopTimer*>(sul)->owner;
    m.publish_cloud();
    lws_sul_schedule(m.ctx, 0, &m.cloud_timer.sul, cloud_timer_fired, LWS_US_PER_SEC);
}

// The group's cloud failure counts, handed to Metrics::render as a client would give its own.
class GroupCloudCounts final : public providers::CloudClient {
  public:
    explicit GroupCloudCounts(std::vector<ErrorCount> rows) : rows_(std::move(rows)) {}
    std::vector<ErrorCount> error_counts() const override { return rows_; }

  private:
    std::vector<ErrorCount> rows_;
};

}  // namespace

void Server::Impl::publish_ready() {
    if (!config.worker) return;
    const bool ready = !config.ready || config.ready();
    config.worker->impl().slot().ready.store(ready ? 1 : 0);
    // Until the host is ready, ask again every 100 ms: the group's /health counts it.
    if (!ready) lws_sul_schedule(ctx, 0, &ready_timer.sul, ready_timer_fired, 100 * LWS_US_PER_MS);
}

std::string Server::Impl::health_page(int& status) const {
    const bool is_draining = draining.load();
    const double uptime = static_cast<double>(now_us() - started_us) / 1e6;
    const bool ready = !config.ready || config.ready();
    status = is_draining || !ready ? 503 : 200;
    if (!config.worker)
        return health_body(metrics.snapshot(is_draining), ready, config.max_calls, uptime);
    // The group's counts; the status is the answering worker's own (a probe that reaches a
    // starting or draining worker is what a new call would get).
    const Worker::Impl& w = config.worker->impl();
    Metrics total;
    w.board->sum(total);
    const WorkerBoard::Summary s = w.board->summary();
    WorkersHealth group;
    group.worker = w.index;
    group.count = w.board->count();
    group.alive = s.alive;
    group.ready = s.ready;
    group.restarts = s.restarts;
    return health_body(total.snapshot(is_draining), ready, config.max_calls * group.count, uptime,
                       &group);
}

void Server::Impl::publish_cloud() const {
    if (!config.worker || !config.cloud_client) return;
    const Worker::Impl& w = config.worker->impl();
    w.board->publish_cloud(w.index, cloud_base, config.cloud_client->error_counts());
}

std::string Server::Impl::metrics_page() const {
    if (!config.worker)
        return metrics.render(draining.load(), config.max_calls, config.cloud_client.get());
    const Worker::Impl& w = config.worker->impl();
    Metrics total;
    w.board->sum(total);
    // Cloud failures summed over the workers too (each publishes its own once a second; this
    // one's are fresh).
    publish_cloud();
    const GroupCloudCounts group_cloud(w.board->cloud_sum());
    std::string page = total.render(draining.load(), config.max_calls * w.board->count(),
                                    config.cloud_client ? &group_cloud : nullptr);
    page.append(w.board->render_worker_series());
    return page;
}

void Server::Impl::begin_drain() {
    if (draining.exchange(true)) return;
    if (config.worker) config.worker->impl().slot().draining.store(1);
    LogLine(logger, LogLevel::info, "draining")
        .unum("calls", sessions.size())
        .real("timeout_s", config.drain_timeout_s);
    if (sessions.empty()) return;
    lws_sul_schedule(ctx, 0, &drain_timer.sul, drain_timer_fired,
                     static_cast<lws_usec_t>(config.drain_timeout_s * 1e6));
}

void Server::Impl::on_drain_timeout() {
    if (drain_expired) return;
    drain_expired = true;
    lws_sul_cancel(&drain_timer.sul);
    LogLine(logger, LogLevel::warn, "drain_timeout").unum("calls", sessions.size());
    close_all_sessions(*this);
    // A peer that never completes the close handshake must not keep the process alive.
    lws_sul_schedule(ctx, 0, &give_up_timer.sul, give_up_timer_fired, 3 * LWS_USEC_PER_SEC);
}

void Server::Impl::process_wakes() {
    wakes->take(wake_scratch);
    if (wake_scratch.empty()) return;
    // Several wakes of one call between two loop turns: poll it once.
    std::sort(wake_scratch.begin(), wake_scratch.end());
    wake_scratch.erase(std::unique(wake_scratch.begin(), wake_scratch.end()), wake_scratch.end());
    const std::int64_t now = now_us();
    for (const StreamId id : wake_scratch) {
        const auto it = sessions.find(id);
        if (it != sessions.end()) service_session(*this, *it->second, now);
    }
}

void Server::Impl::arm_call_timer(std::int64_t now) {
    if (serving_deadlines) return;
    const std::int64_t next = call_deadlines.next();
    if (next == call_timer_at) return;
    call_timer_at = next;
    if (next == agent::Call::kNever) {
        lws_sul_cancel(&call_timer.sul);
        return;
    }
    // At least 500 us ahead, as each call's own lws timer was before.
    lws_sul_schedule(ctx, 0, &call_timer.sul, call_timer_fired,
                     static_cast<lws_usec_t>(std::max<std::int64_t>(next - now, 500)));
}

void Server::Impl::serve_deadlines() {
    const std::int64_t now = now_us();
    due_scratch.clear();
    call_deadlines.take_due(now, due_scratch);
    serving_deadlines = true;
    for (const StreamId id : due_scratch) {
        const auto it = sessions.find(id);
        if (it != sessions.end()) service_session(*this, *it->second, now);
    }
    serving_deadlines = false;
    arm_call_timer(now);
}

// ---- Server ---------------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(ServerConfig config, agent::Providers providers) {
    if (const std::string problem = validate(config); !problem.empty())
        return Error{Errc::invalid_argument, problem};
    if (!providers.stt || !providers.llm || !providers.tts)
        return Error{Errc::invalid_argument, "providers: stt, llm and tts are required"};
    // A bad call template fails here, once, instead of refusing every call.
    {
        auto probe = agent::Call::create(config.call, providers);
        if (!probe) return Error{probe.error().code, "call: " + probe.error().message};
    }

    auto impl = std::make_unique<Impl>(std::move(config), std::move(providers));
    Impl& m = *impl;
    const ServerConfig& c = m.config;
    m.lws_log.emplace(&m.logger);
    m.started_us = Impl::now_us();
    m.drain_timer.owner = &m;
    m.give_up_timer.owner = &m;
    m.ready_timer.owner = &m;
    m.cloud_timer.owner = &m;
    m.call_timer.owner = &m;
    if (c.worker) {
        const Worker::Impl& w = c.worker->impl();
        m.cloud_base = w.board->cloud_of(w.index);
    }

    m.protocols[0] = {"http", http_callback, sizeof(void*), 0, 0, nullptr, 0};
    // rx_buffer_size: lws allocates it per connection; 1024 bytes hold a 20 ms frame (binary L16
    // up to 24 kHz, JSON at 8 kHz) in one callback, and a larger message arrives in pieces that
    // on_receive() joins. tx_packet_size: a whole streamAudio message (~4-9 KB) in one send()
    // instead of lws cutting it at rx_buffer_size and buffering the rest until the next POLLOUT.
    m.protocols[1] = {kStreamProtocol, stream_callback, sizeof(void*), 1024, 0, nullptr, 65536};
    // A worker's own listener (net/server/shared_listener.hpp), a raw descriptor on the loop.
    m.protocols[2] = {kListenProtocol, listen_callback, 0, 0, 0, nullptr, 0};
    m.protocols[3] = {kRedisProtocol, redis_callback, 0, 0, 0, nullptr, 0};
    m.protocols[4] = {nullptr, nullptr, 0, 0, 0, nullptr, 0};
    m.pvo_default = {nullptr, nullptr, "default", "1"};
    m.pvo = {nullptr, &m.pvo_default, kStreamProtocol, ""};
    m.extensions[0] = {"permessage-deflate", lws_extension_callback_pm_deflate,
                       "permessage-deflate; client_no_context_takeover; client_max_window_bits"};
    m.extensions[1] = {nullptr, nullptr, nullptr};
    m.retry.secs_since_valid_ping = static_cast<std::uint16_t>(c.ping_interval_s);
    m.retry.secs_since_valid_hangup = static_cast<std::uint16_t>(c.idle_timeout_s);

    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = &m;
    info.timeout_secs = c.http_timeout_s;
    info.max_http_header_data = static_cast<unsigned short>(c.max_header_bytes);
    m.ctx = lws_create_context(&info);
    if (m.ctx == nullptr) return Error{Errc::io, "libwebsockets: cannot create the context"};

    lws_context_creation_info vh{};
    const bool any4 = c.host == "0.0.0.0";
    const bool any6 = c.host == "::";
    vh.iface = (any4 || any6) ? nullptr : c.host.c_str();
    vh.port = c.port;
    vh.protocols = m.protocols.data();
    vh.pvo = &m.pvo;
    vh.user = &m;
    vh.vhost_name = "ringoverbot";
    vh.retry_and_idle_policy = &m.retry;
    vh.timeout_secs = c.http_timeout_s;
    vh.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (any4) vh.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    // A worker listens itself, with SO_REUSEPORT (see shared_listener.hpp): the kernel spreads
    // the connections over the workers of the group.
    if (c.worker) {
        vh.port = CONTEXT_PORT_NO_LISTEN_SERVER;
        vh.iface = nullptr;
    }
    if (c.permessage_deflate) vh.extensions = m.extensions.data();
    lws_vhost* vhost = lws_create_vhost(m.ctx, &vh);
    if (vhost == nullptr) {
        std::string msg = "cannot listen on " + base_url(c.host, c.port).substr(7) + ": " +
                          bind_problem(c.host, c.port);
        return Error{Errc::io, std::move(msg)};
    }
    if (c.worker) {
        auto listener = open_shared_listener(c.host, c.port);
        if (!listener) return listener.error();
        if (Status adopted = adopt_listener(vhost, *listener); !adopted) return adopted.error();
        m.bound_port = c.port;
    } else {
        const int port = lws_get_vhost_listen_port(vhost);
        if (port <= 0 || port > 65535)
            return Error{Errc::io, "cannot listen on " + base_url(c.host, c.port).substr(7)};
        m.bound_port = static_cast<std::uint16_t>(port);
    }
    m.base = base_url(c.host, m.bound_port);

    // Webhooks: the URL they are signed for is known now that the port is.
    webhook::Config wh = c.webhook;
    wh.public_url = webhook_public_url(c.public_url, m.base, c.webhook_path);
    wh.max_body_bytes = c.max_body_bytes;
    const bool any_key = !wh.call_events_key.empty() || !wh.contact_call_key.empty() ||
                         !wh.contact_search_key.empty() || !wh.routing_key.empty() ||
                         !wh.ivr_token.empty();
    if (any_key) {
        auto v = webhook::Verifier::create(wh);
        if (!v) return Error{Errc::invalid_argument, "webhook: " + v.error().message};
        m.verifier.emplace(std::move(v.value()));
    }
    m.wakes->attach(m.ctx);
    if (Status st = start_directory(m, vhost); !st) return st.error();

    LogLine listening(m.logger, LogLevel::info, "listening");
    if (c.worker) listening.unum("worker", c.worker->index()).num("pid", getpid());
    listening.str("url", m.base)
        .str("ws_path", c.ws_path)
        .str("webhook_url", wh.public_url)
        .flag("webhooks", any_key)
        .flag("stream_token", !c.stream_token.empty())
        .unum("max_calls", c.max_calls);
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const noexcept {
    return impl_->bound_port;
}
std::string Server::url() const {
    return impl_->base;
}

Status Server::run() {
    Impl& m = *impl_;
    if (m.ran) return Status{Errc::invalid_state, "run() was already called"};
    m.ran = true;
    // The cloud client's sockets join this loop for as long as it runs.
    auto* cloud = dynamic_cast<ClientLoop*>(m.config.cloud_client.get());
    if (cloud != nullptr) {
        if (Status hosted = cloud->host_in(m.ctx); !hosted) {
            LogLine(m.logger, LogLevel::warn, "cloud_client_own_loop")
                .str("message", hosted.error().message);
            cloud = nullptr;
        }
    }
    struct Unhost {
        ClientLoop* cloud;
        ~Unhost() {
            if (cloud != nullptr) cloud->unhost();
        }
    } unhost{cloud};
    m.publish_cloud();  // before the readiness: the group sees a ready worker's counts
    m.publish_ready();
    if (m.config.worker && m.config.cloud_client)
        lws_sul_schedule(m.ctx, 0, &m.cloud_timer.sul, cloud_timer_fired, LWS_US_PER_SEC);
    if (m.directory) m.directory->start();
    // poll() walks every open socket on each wakeup, and each call's caller sends a frame every
    // 20 ms: waking for every frame costs a walk over all the calls per frame (a third of a
    // silent call's CPU at 100 calls, and growing with the count). A short pause after a quick
    // pass lets the frames of many calls arrive and be served by one walk. The pause grows with
    // the sockets to walk (kPausePerCall each; a walk, ~0.3 us a socket, then costs a few % of
    // the loop at any count), is none under kMinPause (a few calls walk little, and a sleep
    // costs a context switch) and stops at kMaxPause: a frame waits at most that and timers
    // fire at most that late, against 20 ms frames. A pass that took longer goes straight on.
    constexpr auto kPausePerCall = std::chrono::microseconds(20);
    constexpr auto kMinPause = std::chrono::microseconds(200);
    constexpr auto kMaxPause = std::chrono::microseconds(4000);
    auto pass_start = std::chrono::steady_clock::now();
    while (true) {
        const auto pause = std::min<std::chrono::microseconds>(
            kMaxPause, kPausePerCall * static_cast<long>(m.sessions.size()));
        const auto spent = std::chrono::steady_clock::now() - pass_start;
        if (pause >= kMinPause && spent < pause) std::this_thread::sleep_for(pause - spent);
        pass_start = std::chrono::steady_clock::now();
        const unsigned stops = m.stop_requests.load();
        if (stops >= 1 && !m.draining.load()) m.begin_drain();
        // A second request (a second Ctrl-C): no more waiting for the calls.
        if (stops >= 2 && !m.drain_expired) m.on_drain_timeout();
        if (m.draining.load() && (m.sessions.empty() || m.give_up)) break;
        if (lws_service(m.ctx, 0) < 0) {
            LogLine(m.logger, LogLevel::error, "loop_failed");
            return Status{Errc::io, "libwebsockets service failed"};
        }
    }
    lws_sul_cancel(&m.drain_timer.sul);
    lws_sul_cancel(&m.give_up_timer.sul);
    lws_sul_cancel(&m.ready_timer.sul);
    lws_sul_cancel(&m.cloud_timer.sul);
    lws_sul_cancel(&m.call_timer.sul);
    m.publish_cloud();
    if (m.directory) m.directory->leave();
    const ServerStats s = m.metrics.snapshot(true);
    LogLine(m.logger, LogLevel::info, "stopped")
        .unum("calls_total", s.calls_total)
        .unum("calls_left", m.sessions.size())
        .unum("turns", s.turns);
    return {};
}

void Server::request_stop() noexcept {
    impl_->stop_requests.fetch_add(1);
    lws_cancel_service(impl_->ctx);
}

ServerStats Server::stats() const {
    return impl_->metrics.snapshot(impl_->draining.load());
}

std::string Server::metrics_text() const {
    return impl_->metrics_page();
}

}  // namespace ringoverbot::net
