#include "net/server/redis_connection.hpp"

#include <async.h>
#include <hiredis.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace ringoverbot::net {

namespace {

std::int64_t mono_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

directory::RedisValue convert(const redisReply& r) {
    using T = directory::RedisValue::Type;
    directory::RedisValue v;
    switch (r.type) {
        case REDIS_REPLY_STRING:
            v.type = T::string;
            v.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_STATUS:
            v.type = T::status;
            v.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ERROR:
            v.type = T::error;
            v.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_INTEGER:
            v.type = T::integer;
            v.integer = r.integer;
            break;
        case REDIS_REPLY_ARRAY:
            v.type = T::array;
            v.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i)
                v.elements.push_back(convert(*r.element[i]));
            break;
        default:
            v.type = T::nil;
            break;
    }
    return v;
}

void ev_nothing(void*) {}  // lws always polls POLLIN on the adopted descriptor

}  // namespace

RedisConnection::RedisConnection(lws_vhost* vhost, directory::RedisAddress address,
                                 StateFn on_state)
    : vhost_(vhost), address_(std::move(address)), on_state_(std::move(on_state)) {}

RedisConnection::~RedisConnection() {
    on_state_ = nullptr;  // the owner is going away: no callback into it
    if (ctx_ != nullptr) {
        ctx_->data = nullptr;  // on_reply drops the callbacks without running them
        redisAsyncFree(ctx_);
    }
    ctx_ = nullptr;
}

bool RedisConnection::connect() {
    if (ctx_ != nullptr) return true;
    why_.clear();
    redisAsyncContext* ac = address_.unix_path.empty()
                                ? redisAsyncConnect(address_.ip.c_str(), address_.port)
                                : redisAsyncConnectUnix(address_.unix_path.c_str());
    if (ac == nullptr) {
        why_ = "out of memory";
        return false;
    }
    if (ac->err != 0) {
        why_ = ac->errstr;
        redisAsyncFree(ac);
        return false;
    }
    const int fd = dup(ac->c.fd);
    if (fd < 0) {
        why_ = "dup failed";
        redisAsyncFree(ac);
        return false;
    }
    ctx_ = ac;
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = ev_nothing;
    ac->ev.delRead = ev_nothing;
    ac->ev.delWrite = ev_nothing;  // POLLOUT is one-shot in lws
    ac->ev.addWrite = ev_add_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);

    lws_adopt_desc_t desc{};
    desc.vh = vhost_;
    desc.type = LWS_ADOPT_RAW_FILE_DESC;
    desc.fd.filefd = fd;
    desc.vh_prot_name = kRedisProtocol;
    desc.opaque = this;
    wsi_ = lws_adopt_descriptor_vhost_via_info(&desc);  // closes fd itself on failure
    if (wsi_ == nullptr) {
        why_ = "libwebsockets could not adopt the socket";
        ac->data = nullptr;
        redisAsyncFree(ac);
        ctx_ = nullptr;
        return false;
    }
    lws_set_opaque_user_data(wsi_, this);
    connect_started_us_ = mono_us();
    lws_callback_on_writable(wsi_);  // the connect completes when the socket is writable
    return true;
}

void RedisConnection::drop() {
    if (ctx_ == nullptr) return;
    redisAsyncFree(ctx_);  // replies get nullptr, then ev_cleanup reports the loss
}

bool RedisConnection::command(const directory::Command& argv, ReplyFn done) {
    if (ctx_ == nullptr || !connected_) return false;
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    args.reserve(argv.size());
    lens.reserve(argv.size());
    for (const std::string& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    auto fn = std::make_unique<ReplyFn>(std::move(done));
    if (redisAsyncCommandArgv(ctx_, on_reply, fn.get(), static_cast<int>(args.size()), args.data(),
                              lens.data()) != REDIS_OK)
        return false;
    (void)fn.release();  // hiredis holds it until on_reply
    sent_us_.push_back(mono_us());
    ++commands_sent_;
    return true;
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr) return;
    if (status != REDIS_OK) {
        self->why_ = ac->errstr;  // hiredis frees the context next (ev_cleanup)
        return;
    }
    self->connected_ = true;
    if (self->on_state_) self->on_state_(true);
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr) return;
    if (status != REDIS_OK && self->why_.empty()) self->why_ = ac->errstr;
    self->connected_ = false;
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<ReplyFn> fn(static_cast<ReplyFn*>(privdata));
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr) return;  // being destroyed
    if (!self->sent_us_.empty()) self->sent_us_.pop_front();
    if (!*fn) return;
    if (reply == nullptr) {
        (*fn)(nullptr);
        return;
    }
    const directory::RedisValue value = convert(*static_cast<redisReply*>(reply));
    (*fn)(&value);
}

void RedisConnection::ev_add_write(void* privdata) {
    auto* self = static_cast<RedisConnection*>(privdata);
    if (self->wsi_ != nullptr) lws_callback_on_writable(self->wsi_);
}

void RedisConnection::ev_cleanup(void* privdata) {
    auto* self = static_cast<RedisConnection*>(privdata);
    if (self->wsi_ != nullptr) {
        lws_set_opaque_user_data(self->wsi_, nullptr);
        lws_set_timeout(self->wsi_, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        self->wsi_ = nullptr;
    }
    self->ctx_ = nullptr;
    self->connected_ = false;
    self->sent_us_.clear();
    if (self->on_state_) self->on_state_(false);
}

void RedisConnection::lost(const char* why) {
    if (why_.empty()) why_ = why;
    drop();
}

int RedisConnection::lws_callback(lws* wsi, lws_callback_reasons reason, void*, void*,
                                  std::size_t) {
    auto* self = static_cast<RedisConnection*>(lws_get_opaque_user_data(wsi));
    switch (reason) {
        case LWS_CALLBACK_RAW_RX_FILE:
            if (self != nullptr && self->ctx_ != nullptr) redisAsyncHandleRead(self->ctx_);
            return 0;
        case LWS_CALLBACK_RAW_WRITEABLE_FILE:
            if (self != nullptr && self->ctx_ != nullptr) redisAsyncHandleWrite(self->ctx_);
            return 0;
        case LWS_CALLBACK_RAW_CLOSE_FILE:
            if (self != nullptr && self->wsi_ == wsi) {
                self->wsi_ = nullptr;
                self->lost("socket closed");
            }
            return 0;
        default:
            return 0;
    }
}

}  // namespace ringoverbot::net
