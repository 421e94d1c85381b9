// Worker processes through the C ABI: net::run_workers behind rob_workers_run, a worker's seat
// as rob_worker (handed to rob_server_params.worker).
#include <cstring>
#include <memory>
#include <string>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/workers.hpp"

namespace net = ringoverbot::net;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;
using ringoverbot::capi::set_last_error;

extern "C" {

ROB_API void rob_workers_params_init(rob_workers_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    const net::WorkersConfig d;  // the C++ defaults are the only copy of them
    rob_workers_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.count = d.count;
    full.port = d.port;
    full.restart_delay_s = d.restart_delay_s;
    full.stop_timeout_s = d.stop_timeout_s;
    full.min_log_level = static_cast<int32_t>(d.min_level);
    std::memcpy(p, &full, n);
}

ROB_API int rob_workers_run(const rob_workers_params* params, rob_worker** worker, int* exit_code) {
    return guard([&] {
        rob_workers_params p;
        if (worker == nullptr ||
            !ringoverbot::capi::read_params(params, p, rob_workers_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        *worker = nullptr;
        net::WorkersConfig c;
        c.count = p.count;
        if (p.host != nullptr) c.host = p.host;
        if (p.port > 65535) {
            set_last_error("port: must be 0..65535");
            return ROB_ERR_INVALID_ARGUMENT;
        }
        c.port = static_cast<std::uint16_t>(p.port);
        c.restart_delay_s = p.restart_delay_s;
        c.stop_timeout_s = p.stop_timeout_s;
        if (p.min_log_level < ROB_LOG_DEBUG || p.min_log_level > ROB_LOG_ERROR) {
            set_last_error("min_log_level: must be a ROB_LOG_* value");
            return ROB_ERR_INVALID_ARGUMENT;
        }
        c.min_level = static_cast<net::LogLevel>(p.min_log_level);
        if (p.log != nullptr) {
            c.log = [fn = p.log, ud = p.log_user_data, buf = std::make_shared<std::string>()](
                        net::LogLevel level, std::string_view line) {
                buf->assign(line);
                fn(static_cast<int32_t>(level), buf->c_str(), buf->size(), ud);
            };
        }
        auto run = net::run_workers(c);
        if (!run) return fail(run.error());
        if (run->worker) {
            auto h = std::make_unique<rob_worker>();
            h->impl = run->worker;
            *worker = h.release();
        }
        if (exit_code != nullptr) *exit_code = run->exit_code;
        return ROB_OK;
    });
}

ROB_API int rob_worker_index(const rob_worker* w) {
    return w != nullptr ? static_cast<int>(w->impl->index()) : ROB_ERR_INVALID_ARGUMENT;
}

ROB_API int rob_worker_count(const rob_worker* w) {
    return w != nullptr ? static_cast<int>(w->impl->count()) : ROB_ERR_INVALID_ARGUMENT;
}

ROB_API int rob_worker_port(const rob_worker* w) {
    return w != nullptr ? static_cast<int>(w->impl->port()) : ROB_ERR_INVALID_ARGUMENT;
}

ROB_API const char* rob_worker_host(const rob_worker* w) {
    return w != nullptr ? w->impl->host().c_str() : nullptr;
}

ROB_API void rob_worker_destroy(rob_worker* w) {
    delete w;
}

ROB_API uint32_t rob_available_cores(void) {
    return net::available_cores();
}

}  // extern "C"
