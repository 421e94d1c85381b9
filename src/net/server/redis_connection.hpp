// One hiredis asynchronous connection driven by the server's libwebsockets loop: hiredis'
// socket is adopted (a dup of it) as a raw descriptor of the "redis" protocol, lws tells us
// when it is readable or writable and we hand that to hiredis. Nothing blocks: the connect is
// non-blocking (a literal address or a unix socket, never a DNS lookup) and every reply comes
// back through a callback on the loop thread. hiredis 0.14 has no command timeout, so the
// connection remembers when its oldest unanswered command was sent and the owner decides when
// that is too old (a paused Redis keeps its socket open and answers nothing).
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "net/server/directory_protocol.hpp"

struct redisAsyncContext;

namespace ringoverbot::net {

inline constexpr const char* kRedisProtocol = "ringoverbot-redis";

class RedisConnection {
  public:
    // reply == nullptr: the connection went away before the answer came.
    using ReplyFn = std::function<void(const directory::RedisValue* reply)>;
    // Called on the loop thread when the connection is up (true) or lost (false).
    using StateFn = std::function<void(bool up)>;

    RedisConnection(lws_vhost* vhost, directory::RedisAddress address, StateFn on_state);
    ~RedisConnection();  // frees the hiredis context; pending replies get nullptr
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Starts a non-blocking connect; false (with why()) when it failed at once.
    bool connect();
    // Drops the connection now: pending replies get nullptr, on_state(false) is called.
    void drop();
    bool connected() const { return connected_; }
    bool connecting() const { return ctx_ != nullptr && !connected_; }
    // Queues a command; false when not connected (the callback is not called then).
    bool command(const directory::Command& argv, ReplyFn done);
    // When the oldest unanswered command was sent (µs, monotonic), or 0 when none waits.
    std::int64_t oldest_waiting_us() const { return sent_us_.empty() ? 0 : sent_us_.front(); }
    std::int64_t connect_started_us() const { return connect_started_us_; }
    std::uint64_t commands_sent() const { return commands_sent_; }
    const std::string& why() const { return why_; }

    // The "redis" protocol's callback (raw descriptor events).
    static int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                            std::size_t len);

  private:
    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void ev_add_write(void* privdata);
    static void ev_cleanup(void* privdata);
    void lost(const char* why);

    lws_vhost* vhost_;
    directory::RedisAddress address_;
    StateFn on_state_;
    redisAsyncContext* ctx_ = nullptr;  // owned by hiredis; freed through redisAsyncFree
    lws* wsi_ = nullptr;                // the adopted dup of hiredis' socket
    bool connected_ = false;
    std::deque<std::int64_t> sent_us_;  // replies come in order
    std::int64_t connect_started_us_ = 0;
    std::uint64_t commands_sent_ = 0;
    std::string why_;
};

}  // namespace ringoverbot::net
