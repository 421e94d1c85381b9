// The network server through the C ABI: net::Server behind a handle, its settings as a params
// struct, its log sink as a C callback.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/recording.hpp"
#include "ringoverbot/server.hpp"

namespace net = ringoverbot::net;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;
using ringoverbot::capi::set_last_error;

struct rob_server {
    std::unique_ptr<net::Server> impl;
    std::atomic<bool> ran{false};
};

namespace {

bool fits_size(std::uint64_t v) {
    return v <= std::numeric_limits<std::size_t>::max();
}

int refuse(const char* why) {
    set_last_error(why);
    return ROB_ERR_INVALID_ARGUMENT;
}

}  // namespace

extern "C" {

ROB_API void rob_server_params_init(rob_server_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    const net::ServerConfig d;  // the C++ defaults are the only copy of them
    rob_server_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.port = d.port;
    full.max_calls = d.max_calls;
    full.max_message_bytes = d.max_message_bytes;
    full.max_body_bytes = d.max_body_bytes;
    full.max_header_bytes = d.max_header_bytes;
    full.ping_interval_s = d.ping_interval_s;
    full.idle_timeout_s = d.idle_timeout_s;
    full.http_timeout_s = d.http_timeout_s;
    full.permessage_deflate = d.permessage_deflate ? 1 : 0;
    full.drain_timeout_s = d.drain_timeout_s;
    full.link_window_s = d.link_window_s;
    full.min_log_level = static_cast<int32_t>(d.min_level);
    full.rest_transfer_fallback_ms = d.rest_transfer_fallback_ms;
    full.rest_call_context = d.rest_call_context ? 1 : 0;
    full.redis_heartbeat_s = d.directory.heartbeat_s;
    full.redis_instance_ttl_s = d.directory.instance_ttl_s;
    full.redis_reaper_s = d.directory.reaper_s;
    full.redis_timeout_s = d.directory.redis_timeout_s;
    full.redis_pending_ttl_s = d.directory.pending_ttl_s;
    full.redis_dedup_ttl_s = d.directory.dedup_ttl_s;
    std::memcpy(p, &full, n);
}

ROB_API int rob_server_create(const rob_server_params* params, const rob_providers* providers,
                              rob_server** out) {
    return guard([&] {
        rob_server_params p;
        if (out == nullptr || !ringoverbot::capi::read_params(params, p, rob_server_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        net::ServerConfig c;
        if (p.host != nullptr) c.host = p.host;
        if (p.port > 65535) return refuse("port: must be 0..65535");
        c.port = static_cast<std::uint16_t>(p.port);
        if (p.ws_path != nullptr) c.ws_path = p.ws_path;
        if (p.webhook_path != nullptr) c.webhook_path = p.webhook_path;
        if (p.public_url != nullptr) c.public_url = p.public_url;
        if (p.stream_token != nullptr) c.stream_token = p.stream_token;
        if (p.webhook != nullptr) {
            if (const int rc = ringoverbot::capi::read_webhook_config(p.webhook, c.webhook);
                rc != ROB_OK) {
                return refuse("webhook: bad verifier params");
            }
        }
        if (const int rc = ringoverbot::capi::read_call_config(p.call, c.call); rc != ROB_OK) {
            return rc;
        }
        if (!fits_size(p.max_calls) || !fits_size(p.max_message_bytes) ||
            !fits_size(p.max_body_bytes) || !fits_size(p.max_header_bytes)) {
            return refuse("a size limit does not fit this platform");
        }
        c.max_calls = static_cast<std::size_t>(p.max_calls);
        c.max_message_bytes = static_cast<std::size_t>(p.max_message_bytes);
        c.max_body_bytes = static_cast<std::size_t>(p.max_body_bytes);
        c.max_header_bytes = static_cast<std::size_t>(p.max_header_bytes);
        c.ping_interval_s = p.ping_interval_s;
        c.idle_timeout_s = p.idle_timeout_s;
        c.http_timeout_s = p.http_timeout_s;
        c.permessage_deflate = p.permessage_deflate != 0;
        c.drain_timeout_s = p.drain_timeout_s;
        c.link_window_s = p.link_window_s;
        if (p.min_log_level < ROB_LOG_DEBUG || p.min_log_level > ROB_LOG_ERROR) {
            return refuse("min_log_level: must be a ROB_LOG_* value");
        }
        c.min_level = static_cast<net::LogLevel>(p.min_log_level);
        if (p.log != nullptr) {
            // The line handed to C must be NUL-terminated: one reused buffer (the sink runs on
            // the loop thread only).
            c.log = [fn = p.log, ud = p.log_user_data, buf = std::make_shared<std::string>()](
                        net::LogLevel level, std::string_view line) {
                buf->assign(line);
                fn(static_cast<int32_t>(level), buf->c_str(), buf->size(), ud);
            };
        }
        if (p.cloud_client != nullptr) c.cloud_client = p.cloud_client->impl;
        if (p.ringover_api != nullptr) c.ringover_api = p.ringover_api->impl;
        c.rest_transfer_fallback_ms = p.rest_transfer_fallback_ms;
        c.rest_call_context = p.rest_call_context != 0;
        if (p.worker != nullptr) c.worker = p.worker->impl;
        net::DirectoryConfig& dir = c.directory;
        if (p.redis_url != nullptr) dir.redis_url = p.redis_url;
        if (p.instance_id != nullptr) dir.instance_id = p.instance_id;
        if (p.redis_key_prefix != nullptr) dir.key_prefix = p.redis_key_prefix;
        dir.heartbeat_s = p.redis_heartbeat_s;
        dir.instance_ttl_s = p.redis_instance_ttl_s;
        dir.reaper_s = p.redis_reaper_s;
        dir.redis_timeout_s = p.redis_timeout_s;
        dir.pending_ttl_s = p.redis_pending_ttl_s;
        dir.dedup_ttl_s = p.redis_dedup_ttl_s;
        if (p.on_orphan != nullptr) {
            dir.on_orphan = [fn = p.on_orphan, ud = p.orphan_user_data](std::string_view call,
                                                                        std::string_view dead) {
                const std::string call_text(call), dead_text(dead);
                fn(call_text.c_str(), dead_text.c_str(), ud);
            };
        }
        if (p.recording_dir != nullptr) c.recording_dir = p.recording_dir;
        ringoverbot::agent::Providers set;
        if (const int rc = ringoverbot::capi::read_providers(providers, set); rc != ROB_OK) {
            return rc;
        }
        auto server = net::Server::create(std::move(c), std::move(set));
        if (!server) return fail(server.error());
        auto h = std::make_unique<rob_server>();
        h->impl = std::move(*server);
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API int rob_server_port(const rob_server* s) {
    return s != nullptr ? static_cast<int>(s->impl->port()) : ROB_ERR_INVALID_ARGUMENT;
}

ROB_API int rob_server_run(rob_server* s) {
    return guard([&] {
        if (s == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (s->ran.exchange(true)) return ROB_ERR_INVALID_STATE;
        auto st = s->impl->run();
        if (!st) return fail(st.error());
        return ROB_OK;
    });
}

ROB_API void rob_server_stop(rob_server* s) {
    if (s != nullptr) s->impl->request_stop();
}

ROB_API int rob_server_stats(const rob_server* s, rob_server_counters* out) {
    return guard([&] {
        if (s == nullptr || out == nullptr || out->struct_size < sizeof(uint32_t)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        const net::ServerStats st = s->impl->stats();
        rob_server_counters k{};
        k.struct_size = sizeof k;
        k.calls_active = st.calls_active;
        k.calls_total = st.calls_total;
        k.calls_refused = st.calls_refused;
        k.frames_in = st.frames_in;
        k.frames_out = st.frames_out;
        k.bytes_in = st.bytes_in;
        k.bytes_out = st.bytes_out;
        k.protocol_errors = st.protocol_errors;
        k.webhooks_accepted = st.webhooks_accepted;
        k.webhooks_rejected = st.webhooks_rejected;
        k.turns = st.turns;
        k.barge_ins = st.barge_ins;
        k.provider_errors = st.provider_errors;
        k.draining = st.draining ? 1 : 0;
        k.calls_orphaned = st.calls_orphaned;
        k.directory_up = st.directory_up ? 1 : 0;
        const std::uint32_t caller_size = out->struct_size;
        std::memcpy(out, &k, caller_size < sizeof k ? caller_size : sizeof k);
        out->struct_size = caller_size;
        return ROB_OK;
    });
}

ROB_API int rob_server_metrics_text(const rob_server* s, char** out, size_t* out_len) {
    return guard([&] {
        if (s == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        const std::string text = s->impl->metrics_text();
        char* p = static_cast<char*>(std::malloc(text.size() + 1));
        if (p == nullptr) return ROB_ERR_NOMEM;
        std::memcpy(p, text.data(), text.size());
        p[text.size()] = '\0';
        *out = p;
        if (out_len != nullptr) *out_len = text.size();
        return ROB_OK;
    });
}

ROB_API void rob_server_destroy(rob_server* s) {
    delete s;
}

ROB_API int rob_recording_stem(const char* call_id, int64_t start_unix_s, char** out,
                               size_t* out_len) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        const std::string stem = ringoverbot::recording::file_stem(
            call_id != nullptr ? std::string_view(call_id) : std::string_view(), start_unix_s);
        char* p = static_cast<char*>(std::malloc(stem.size() + 1));
        if (p == nullptr) return ROB_ERR_NOMEM;
        std::memcpy(p, stem.data(), stem.size() + 1);
        *out = p;
        if (out_len != nullptr) *out_len = stem.size();
        return ROB_OK;
    });
}

}  // extern "C"
