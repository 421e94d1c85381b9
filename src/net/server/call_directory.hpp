// The call directory (README §Several instances): this instance's heartbeat in Redis, the
// calls it holds, webhooks routed to whichever instance holds their call, events parked until
// a stream claims its call, and a reaper that reports the calls of dead instances as
// orphaned. Two connections to Redis on the server's loop: one for commands, one blocked on
// this instance's inbox (XREAD BLOCK). Everything runs on the loop thread.
//
// Faults: a command unanswered within redis_timeout_s (a paused or unreachable Redis) drops
// both connections and the directory counts as unavailable until a reconnect answers a
// heartbeat; meanwhile route() answers `unavailable` at once, so the server applies webhooks
// for its own calls and refuses the others with 503. On every reconnect the instance
// re-asserts the calls it holds (Redis may have restarted empty, or reaped us while we were
// cut off) and takes the events parked for them.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/log.hpp"
#include "net/server/directory_protocol.hpp"
#include "net/server/metrics.hpp"
#include "net/server/redis_connection.hpp"
#include "ringoverbot/server.hpp"

namespace ringoverbot::net {

class CallDirectory {
  public:
    struct Hooks {
        // An event for a call held here, from another instance's webhook or parked before the
        // stream was claimed.
        std::function<void(const directory::CallEvent& event, std::string_view source)> apply;
        // The call ids whose streams this instance holds (re-asserted after a reconnect).
        std::function<std::vector<std::string>()> held_calls;
        // A call of a dead instance, reported once across all instances.
        std::function<void(const directory::OrphanedCall& call)> orphaned;
    };
    using RouteDone = std::function<void(const directory::RouteResult& result)>;

    CallDirectory(lws_context* ctx, lws_vhost* vhost, const DirectoryConfig& config,
                  directory::RedisAddress address, std::string instance_info, Logger& logger,
                  Metrics& metrics, Hooks hooks);
    ~CallDirectory();
    CallDirectory(const CallDirectory&) = delete;
    CallDirectory& operator=(const CallDirectory&) = delete;

    void start();  // connects and starts the timers
    // A clean stop: removes this instance from the directory (best effort, not awaited).
    void leave();

    bool available() const { return available_; }
    const std::string& instance_id() const { return settings_.instance_id; }

    // This instance holds the stream of `call_id` now.
    void claim(const std::string& call_id);
    // The stream ended.
    void release(const std::string& call_id);
    // A verified webhook about a call. `done` is called exactly once, at once when Redis is
    // unavailable.
    void route(const directory::CallEvent& event, std::string dedup_key, RouteDone done);

  private:
    struct Timer {
        lws_sorted_usec_list_t sul;  // first member: the callback casts the node back
        CallDirectory* owner;
    };
    static void heartbeat_fired(lws_sorted_usec_list_t* sul);
    static void reaper_fired(lws_sorted_usec_list_t* sul);
    static void watchdog_fired(lws_sorted_usec_list_t* sul);
    void heartbeat();
    void reap();
    void watchdog();
    void on_command_state(bool up);
    void on_inbox_state(bool up);
    void became_available();
    void became_unavailable(const char* why);
    void read_inbox();
    void send_claim(const std::string& call_id);
    bool send(const directory::Command& c, RedisConnection::ReplyFn done);

    lws_context* ctx_;
    DirectoryConfig config_;
    directory::Settings settings_;
    Logger& logger_;
    Metrics& metrics_;
    Hooks hooks_;
    RedisConnection commands_;
    RedisConnection inbox_;
    std::string inbox_last_id_ = "0-0";
    bool inbox_reading_ = false;
    bool available_ = false;
    bool left_ = false;
    std::vector<std::string> unreleased_;  // released while Redis was unavailable
    Timer heartbeat_timer_{};
    Timer reaper_timer_{};
    Timer watchdog_timer_{};
};

}  // namespace ringoverbot::net
