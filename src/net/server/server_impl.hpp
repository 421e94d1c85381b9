// What the server's pieces share (server.cpp, http_routes.cpp, stream_session.cpp). Everything
// here but WakeQueue and the atomics is touched only on the loop thread.
#pragma once

#include <libwebsockets.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/call_linker.hpp"
#include "net/log.hpp"
#include "net/server/call_deadlines.hpp"
#include "net/server/call_directory.hpp"
#include "net/server/metrics.hpp"
#include "net/server/recording_encoder.hpp"
#include "ringoverbot/server.hpp"

namespace ringoverbot::net {

using agent::StreamId;
struct Session;

// Provider threads -> loop thread: the ids of calls with results waiting. The waker of every
// Call holds a shared_ptr to it, so a late result (after its call, or the whole server, is
// gone) finds a detached queue and does nothing.
class WakeQueue {
  public:
    void attach(lws_context* ctx);
    void detach();                          // before the context is destroyed
    void wake(StreamId id) noexcept;        // any thread
    void take(std::vector<StreamId>& out);  // loop thread; swaps the pending ids out

  private:
    std::mutex mu_;
    std::vector<StreamId> ids_;
    lws_context* ctx_ = nullptr;
};

// A sorted-usec-list timer with a way back to its owner (lws passes only the list node).
struct LoopTimer {
    lws_sorted_usec_list_t sul;  // first member: the callback casts the node back
    Server::Impl* owner;
};

struct Server::Impl {
    explicit Impl(ServerConfig cfg, agent::Providers prov);
    ~Impl();

    ServerConfig config;
    agent::Providers providers;
    std::shared_ptr<const agent::CallConfig> call_config;  // config.call, shared by every call
    Logger logger;
    std::optional<LwsLogRoute> lws_log;
    // In a worker group the counters live in the worker's slot of the shared board (so that
    // any worker can sum the group's): `metrics` refers there, else to own_metrics.
    Metrics own_metrics;
    Metrics& metrics;
    std::optional<webhook::Verifier> verifier;  // nullopt: no key configured
    webhook::Verdict verdict;                   // reused across requests
    agent::CallLinker linker;
    std::shared_ptr<WakeQueue> wakes = std::make_shared<WakeQueue>();
    // With recording_dir: encodes the recordings off the loop. Declared before the sessions:
    // it outlives them, and finishes every queued file when destroyed.
    std::unique_ptr<RecordingEncoder> recording_encoder;
    std::unordered_map<StreamId, std::unique_ptr<Session>> sessions;
    StreamId next_stream = 1;
    std::vector<StreamId> wake_scratch;
    // Every call's next wake-up, served by the one call_timer (net/server/call_deadlines.hpp).
    CallDeadlines call_deadlines;
    std::vector<StreamId> due_scratch;

    lws_context* ctx = nullptr;
    std::uint16_t bound_port = 0;
    std::string base;  // "http://HOST:PORT"
    std::int64_t started_us = 0;

    std::atomic<unsigned> stop_requests{0};
    std::atomic<bool> draining{false};
    bool ran = false;
    bool drain_expired = false;  // the drain timeout passed: live calls were closed
    bool give_up = false;        // closing them took too long as well: leave anyway

    // Tables libwebsockets keeps pointers to for the context's life.
    std::array<lws_protocols, 5> protocols{};
    lws_protocol_vhost_options pvo_default{};
    lws_protocol_vhost_options pvo{};
    std::array<lws_extension, 2> extensions{};
    lws_retry_bo_t retry{};
    LoopTimer drain_timer{};
    LoopTimer give_up_timer{};
    LoopTimer ready_timer{};  // a worker publishes its readiness to the group's board
    LoopTimer cloud_timer{};  // ... and its cloud failure counts, once a second
    LoopTimer call_timer{};   // fires at call_deadlines.next()
    std::int64_t call_timer_at = agent::Call::kNever;            // when call_timer is armed for
    bool serving_deadlines = false;                              // re-armed once, after the batch
    std::vector<providers::CloudClient::ErrorCount> cloud_base;  // its slot's at start

    // The call directory in Redis (nullptr without redis_url), and the webhook requests
    // waiting for its answer: id -> their connection (erased when the connection closes).
    std::unique_ptr<CallDirectory> directory;
    std::unordered_map<std::uint64_t, lws*> waiting_webhooks;
    std::uint64_t next_waiting = 1;

    static std::int64_t now_us();  // monotonic
    double wall_now() const;       // Unix seconds (webhooks)
    double mono_s() const { return static_cast<double>(now_us()) / 1e6; }

    // Loop-thread entry points used by the callbacks.
    void begin_drain();
    void on_drain_timeout();
    void process_wakes();
    // Keeps call_timer on the earliest call deadline; serve_deadlines() runs the due calls.
    void arm_call_timer(std::int64_t now);
    void serve_deadlines();
    // GET /health and GET /metrics (the group's in a worker group, ServerConfig::worker).
    std::string health_page(int& status) const;
    std::string metrics_page() const;
    void publish_ready();
    void publish_cloud() const;
};

Server::Impl& impl_of(lws* wsi);

// Runs a protocol callback's body: no exception may unwind through libwebsockets' C frames
// (an allocation failure, or one thrown by a host's hook), so it is logged and the connection
// closed instead.
template <class F>
int guarded(lws* wsi, const char* where, F&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        try {
            LogLine(impl_of(wsi).logger, LogLevel::error, "callback_failed")
                .str("where", where)
                .str("error", e.what());
        } catch (...) {
        }
    } catch (...) {
    }
    return -1;
}

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
int stream_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);

// http_routes.cpp: whether a WebSocket upgrade may proceed (0), or was refused with an HTTP
// answer already written (1). lws asks the protocol the connection is bound to at that moment,
// which may be either of ours.
int confirm_upgrade(Server::Impl& impl, lws* wsi, std::string_view protocol);
// The `in` of CONFIRM_UPGRADE: the Upgrade header's protocol name, lowercased.
std::string upgrade_protocol(const void* in);

// directory_wiring.cpp: creates the directory when redis_url is set (after the vhost exists).
Status start_directory(Server::Impl& impl, lws_vhost* vhost);
// The raw-descriptor protocol of the directory's Redis sockets.
int redis_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len);
// An event for a call held here (routed from another instance, or parked before its stream).
void apply_directory_event(Server::Impl& impl, const directory::CallEvent& event,
                           std::string_view source);

// stream_session.cpp
void service_session(Server::Impl& impl, Session& s, std::int64_t now);
// A verified call/hangup webhook for a linked stream ends that call (Call::on_closed).
bool end_call_from_webhook(Server::Impl& impl, StreamId id, std::int64_t now);
// The drain timeout passed: close every live socket with 1001.
void close_all_sessions(Server::Impl& impl);

}  // namespace ringoverbot::net
