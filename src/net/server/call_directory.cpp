#include "net/server/call_directory.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ringoverbot::net {

namespace {

std::int64_t mono_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

lws_usec_t usec(double seconds) {
    return static_cast<lws_usec_t>(std::max(seconds, 0.001) * 1e6);
}

std::int64_t ms(double seconds) {
    return static_cast<std::int64_t>(std::llround(seconds * 1000));
}

}  // namespace

CallDirectory::CallDirectory(lws_context* ctx, lws_vhost* vhost, const DirectoryConfig& config,
                             directory::RedisAddress address, std::string instance_info,
                             Logger& logger, Metrics& metrics, Hooks hooks)
    : ctx_(ctx),
      config_(config),
      logger_(logger),
      metrics_(metrics),
      hooks_(std::move(hooks)),
      commands_(vhost, address, [this](bool up) { on_command_state(up); }),
      inbox_(vhost, address, [this](bool up) { on_inbox_state(up); }) {
    settings_.prefix = config.key_prefix;
    settings_.instance_id = config.instance_id;
    settings_.instance_info = std::move(instance_info);
    settings_.instance_ttl_ms = ms(config.instance_ttl_s);
    settings_.pending_ttl_ms = ms(config.pending_ttl_s);
    settings_.dedup_ttl_s = std::max<std::int64_t>(1, ms(config.dedup_ttl_s) / 1000);
    // The inbox read comes back at least this often, so a dead socket is noticed.
    settings_.inbox_block_ms = std::max<std::int64_t>(100, ms(config.heartbeat_s) * 2);
    heartbeat_timer_.owner = reaper_timer_.owner = watchdog_timer_.owner = this;
    metrics_.directory_enabled.store(1, std::memory_order_relaxed);
}

CallDirectory::~CallDirectory() {
    lws_sul_cancel(&heartbeat_timer_.sul);
    lws_sul_cancel(&reaper_timer_.sul);
    lws_sul_cancel(&watchdog_timer_.sul);
}

void CallDirectory::start() {
    LogLine(logger_, LogLevel::info, "directory_start")
        .str("instance", settings_.instance_id)
        .str("redis", config_.redis_url);
    heartbeat();
    lws_sul_schedule(ctx_, 0, &reaper_timer_.sul, reaper_fired, usec(config_.reaper_s));
    lws_sul_schedule(ctx_, 0, &watchdog_timer_.sul, watchdog_fired,
                     usec(config_.redis_timeout_s / 2));
}

void CallDirectory::leave() {
    if (left_) return;
    left_ = true;
    lws_sul_cancel(&heartbeat_timer_.sul);
    lws_sul_cancel(&reaper_timer_.sul);
    if (available_) send(directory::leave_command(settings_), nullptr);
}

// ---- timers ---------------------------------------------------------------------------------

void CallDirectory::heartbeat_fired(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->owner->heartbeat();
}
void CallDirectory::reaper_fired(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->owner->reap();
}
void CallDirectory::watchdog_fired(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Timer*>(sul)->owner->watchdog();
}

void CallDirectory::heartbeat() {
    if (left_) return;
    lws_sul_schedule(ctx_, 0, &heartbeat_timer_.sul, heartbeat_fired, usec(config_.heartbeat_s));
    if (!commands_.connected()) {
        if (!commands_.connecting() && !commands_.connect())
            LogLine(logger_, LogLevel::debug, "redis_connect_failed").str("error", commands_.why());
        return;  // on_command_state(true) sends the first heartbeat
    }
    if (!inbox_.connected() && !inbox_.connecting()) (void)inbox_.connect();
    if (available_ && inbox_.connected()) read_inbox();  // after an error reply, say
    const bool first = !available_;
    send(directory::heartbeat_command(settings_), [this, first](const directory::RedisValue* r) {
        const auto lapsed = directory::decode_heartbeat(r);
        if (!lapsed) {
            if (r != nullptr) became_unavailable("heartbeat refused");
            return;
        }
        if (first || *lapsed) {
            if (*lapsed && !first)
                LogLine(logger_, LogLevel::warn, "directory_lapsed")
                    .str("instance", settings_.instance_id);
            became_available();
        }
    });
}

void CallDirectory::reap() {
    if (left_) return;
    lws_sul_schedule(ctx_, 0, &reaper_timer_.sul, reaper_fired, usec(config_.reaper_s));
    if (!available_) return;
    send(directory::reap_command(settings_), [this](const directory::RedisValue* r) {
        for (const directory::OrphanedCall& c : directory::decode_reap(r)) {
            Metrics::add(metrics_.calls_orphaned);
            LogLine(logger_, LogLevel::warn, "call_orphaned")
                .str("call_id", c.call_id)
                .str("dead_instance", c.instance)
                .str("instance", settings_.instance_id);
            if (hooks_.orphaned) hooks_.orphaned(c);
        }
    });
}

void CallDirectory::watchdog() {
    lws_sul_schedule(ctx_, 0, &watchdog_timer_.sul, watchdog_fired,
                     usec(config_.redis_timeout_s / 2));
    const std::int64_t now = mono_us();
    const auto limit = static_cast<std::int64_t>(config_.redis_timeout_s * 1e6);
    const std::int64_t oldest = commands_.oldest_waiting_us();
    const bool stuck = oldest != 0 && now - oldest > limit;
    const bool slow_connect =
        commands_.connecting() && now - commands_.connect_started_us() > limit;
    const std::int64_t inbox_oldest = inbox_.oldest_waiting_us();
    const bool inbox_stuck =
        inbox_oldest != 0 && now - inbox_oldest > limit + settings_.inbox_block_ms * 1000;
    if (stuck || slow_connect || inbox_stuck) {
        LogLine(logger_, LogLevel::warn, "redis_timeout")
            .str("instance", settings_.instance_id)
            .real("timeout_s", config_.redis_timeout_s)
            .flag("connecting", slow_connect);
        commands_.drop();
        inbox_.drop();
        became_unavailable("timeout");
    }
}

// ---- connection state -----------------------------------------------------------------------

void CallDirectory::on_command_state(bool up) {
    if (up) {
        LogLine(logger_, LogLevel::debug, "redis_connected").str("instance", settings_.instance_id);
        heartbeat();  // available once it is answered
        return;
    }
    became_unavailable(commands_.why().empty() ? "disconnected" : commands_.why().c_str());
}

void CallDirectory::on_inbox_state(bool up) {
    inbox_reading_ = false;
    if (up && available_) read_inbox();
}

void CallDirectory::became_available() {
    const bool was = available_;
    available_ = true;
    metrics_.directory_up.store(1, std::memory_order_relaxed);
    if (!was)
        LogLine(logger_, LogLevel::info, "directory_available")
            .str("instance", settings_.instance_id);
    // Re-assert what we hold (Redis may be new, or may have reaped us), and finish releases.
    for (const std::string& call :
         hooks_.held_calls ? hooks_.held_calls() : std::vector<std::string>{})
        send_claim(call);
    for (const std::string& call : unreleased_)
        send(directory::release_command(settings_, call), nullptr);
    unreleased_.clear();
    if (inbox_.connected()) read_inbox();
}

void CallDirectory::became_unavailable(const char* why) {
    if (!available_) return;
    available_ = false;
    metrics_.directory_up.store(0, std::memory_order_relaxed);
    Metrics::add(metrics_.directory_outages);
    LogLine(logger_, LogLevel::warn, "directory_unavailable")
        .str("instance", settings_.instance_id)
        .str("reason", why);
}

// ---- calls ----------------------------------------------------------------------------------

bool CallDirectory::send(const directory::Command& c, RedisConnection::ReplyFn done) {
    if (!commands_.command(
            c, done ? std::move(done) : [](const directory::RedisValue*) {}))
        return false;
    Metrics::add(metrics_.directory_commands);
    return true;
}

void CallDirectory::send_claim(const std::string& call_id) {
    send(directory::claim_command(settings_, call_id),
         [this, call_id](const directory::RedisValue* r) {
             const directory::ClaimResult c = directory::decode_claim(r);
             if (c.conflict) {
                 LogLine(logger_, LogLevel::warn, "call_claim_conflict")
                     .str("call_id", call_id)
                     .str("owner", c.owner);
                 return;
             }
             if (!c.ok) return;  // no answer: re-asserted at the next reconnect
             for (const std::string& ev : c.parked) {
                 Metrics::add(metrics_.directory_parked_applied);
                 if (hooks_.apply) hooks_.apply(directory::CallEvent{call_id, ev}, "parked");
             }
         });
}

void CallDirectory::claim(const std::string& call_id) {
    if (available_) send_claim(call_id);
}

void CallDirectory::release(const std::string& call_id) {
    if (!available_ || !send(directory::release_command(settings_, call_id), nullptr))
        unreleased_.push_back(call_id);
}

void CallDirectory::route(const directory::CallEvent& event, std::string dedup, RouteDone done) {
    const auto finish = [this, done](const directory::RouteResult& r) {
        Metrics::add(metrics_.directory_routes[static_cast<std::size_t>(r.outcome)]);
        done(r);
    };
    if (!available_) {
        finish(directory::RouteResult{});
        return;
    }
    const bool sent =
        send(directory::route_command(settings_, event, dedup),
             [finish](const directory::RedisValue* r) { finish(directory::decode_route(r)); });
    if (!sent) finish(directory::RouteResult{});
}

// ---- inbox ----------------------------------------------------------------------------------

void CallDirectory::read_inbox() {
    if (inbox_reading_ || left_) return;
    const bool sent = inbox_.command(
        directory::inbox_read_command(settings_, inbox_last_id_),
        [this](const directory::RedisValue* r) {
            inbox_reading_ = false;
            if (r == nullptr) return;  // lost: read again after the reconnect
            if (r->type == directory::RedisValue::Type::error) {
                LogLine(logger_, LogLevel::warn, "redis_inbox_error").str("error", r->str);
                return;  // the next heartbeat's reconnect (or none) decides
            }
            const directory::InboxBatch b = directory::decode_inbox(r, inbox_last_id_);
            inbox_last_id_ = b.last_id;
            for (const directory::CallEvent& ev : b.events) {
                Metrics::add(metrics_.directory_inbox_applied);
                if (hooks_.apply) hooks_.apply(ev, "inbox");
            }
            if (available_) read_inbox();
        });
    if (sent) {
        inbox_reading_ = true;
        Metrics::add(metrics_.directory_commands);
    }
}

}  // namespace ringoverbot::net
