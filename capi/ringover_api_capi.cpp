// Ringover's REST API through the C ABI: its params, a blocking request per operation (the C
// and Python callers want an answer, not a callback on the client's thread), its counters.
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <string>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/ringover_api.hpp"

namespace ringover = ringoverbot::ringover;
using ringoverbot::Errc;
using ringoverbot::Error;
using ringoverbot::Result;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;
using ringoverbot::capi::read_params;
using ringoverbot::capi::set_last_error;

namespace {

void take(const char* in, std::string& out) {
    if (in != nullptr) out = in;
}

// A copy for the caller (rob_free), NUL-terminated.
char* give_text(const std::string& s) {
    auto* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

// The HTTP status a failure's message names ("ringover hangup: HTTP 401: ..."), else 0.
int status_in(const std::string& message) {
    const std::size_t at = message.find("HTTP ");
    if (at == std::string::npos) return 0;
    return std::atoi(message.c_str() + at + 5);
}

}  // namespace

extern "C" {

ROB_API void rob_ringover_api_params_init(rob_ringover_api_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    const ringover::RestConfig d;  // the C++ defaults are the only copy of them
    rob_ringover_api_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.requests_per_second = d.requests_per_second;
    full.burst = d.burst;
    full.max_rate_limited_retries = d.max_rate_limited_retries;
    full.backoff_ms = d.backoff_ms;
    full.max_backoff_ms = d.max_backoff_ms;
    full.connect_timeout_ms = d.connect_timeout_ms;
    full.timeout_ms = d.timeout_ms;
    std::memcpy(p, &full, n);
}

ROB_API int rob_ringover_api_create(const rob_ringover_api_params* params, rob_cloud_client* client,
                                    rob_ringover_api** out) {
    return guard([&] {
        rob_ringover_api_params p;
        if (out == nullptr || !read_params(params, p, rob_ringover_api_params_init))
            return ROB_ERR_INVALID_ARGUMENT;
        if (client == nullptr) {
            set_last_error("cloud client: required (rob_cloud_client_create)");
            return ROB_ERR_INVALID_ARGUMENT;
        }
        ringover::RestConfig c;
        take(p.api_key, c.api_key);
        take(p.base_url, c.base_url);
        c.requests_per_second = p.requests_per_second;
        c.burst = p.burst;
        c.max_rate_limited_retries = p.max_rate_limited_retries;
        c.backoff_ms = p.backoff_ms;
        c.max_backoff_ms = p.max_backoff_ms;
        c.connect_timeout_ms = p.connect_timeout_ms;
        c.timeout_ms = p.timeout_ms;
        take(p.current_calls_path, c.current_calls_path);
        take(p.call_details_path, c.call_details_path);
        take(p.transfer_path, c.transfer_path);
        take(p.transfer_number_field, c.transfer_number_field);
        take(p.dtmf_path, c.dtmf_path);
        take(p.dtmf_field, c.dtmf_field);
        take(p.toggle_path, c.toggle_path);
        take(p.hangup_path, c.hangup_path);
        auto api = ringover::RestClient::create(std::move(c), client->impl);
        if (!api) return fail(api.error());
        *out = new rob_ringover_api{std::move(*api)};
        return ROB_OK;
    });
}

ROB_API void rob_ringover_api_destroy(rob_ringover_api* api) {
    delete api;
}

ROB_API int rob_ringover_api_request(rob_ringover_api* api, int op, const char* id, const char* arg,
                                     int32_t* status, char** body, size_t* body_len) {
    return guard([&] {
        if (api == nullptr || status == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        *status = 0;
        if (body != nullptr) *body = nullptr;
        if (body_len != nullptr) *body_len = 0;
        const std::string a = id != nullptr ? id : "";
        const std::string b = arg != nullptr ? arg : "";
        auto promise = std::make_shared<std::promise<Result<ringover::RestReply>>>();
        auto answer = promise->get_future();
        ringover::RestCallback done = [promise](Result<ringover::RestReply> r) {
            promise->set_value(std::move(r));
        };
        ringover::RestClient& rest = *api->impl;
        switch (op) {
            case ROB_RINGOVER_CURRENT_CALLS:
                rest.current_calls(b, std::move(done));
                break;
            case ROB_RINGOVER_CALL_DETAILS:
                rest.call_details(a, std::move(done));
                break;
            case ROB_RINGOVER_TRANSFER:
                rest.transfer(a, b, std::move(done));
                break;
            case ROB_RINGOVER_DTMF:
                rest.send_dtmf(a, b, std::move(done));
                break;
            case ROB_RINGOVER_TOGGLE_RECORD:
                rest.toggle(a, ringover::Toggle::record, std::move(done));
                break;
            case ROB_RINGOVER_TOGGLE_HOLD:
                rest.toggle(a, ringover::Toggle::hold, std::move(done));
                break;
            case ROB_RINGOVER_TOGGLE_MUTE:
                rest.toggle(a, ringover::Toggle::mute, std::move(done));
                break;
            case ROB_RINGOVER_HANGUP:
                rest.hangup(ringover::CallRef{a, b}, std::move(done));
                break;
            default:
                set_last_error("op: not a ROB_RINGOVER_* value");
                return ROB_ERR_INVALID_ARGUMENT;
        }
        Result<ringover::RestReply> r = answer.get();
        if (!r) {
            *status = status_in(r.error().message);
            return fail(r.error());
        }
        *status = r->status;
        if (!r->body.empty()) {
            if (body != nullptr) *body = give_text(r->body);
            if (body_len != nullptr) *body_len = r->body.size();
        }
        return ROB_OK;
    });
}

ROB_API int rob_ringover_api_counters(const rob_ringover_api* api, uint64_t* sent,
                                      uint64_t* rate_limited) {
    return guard([&] {
        if (api == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (sent != nullptr) *sent = api->impl->sent();
        if (rate_limited != nullptr) *rate_limited = api->impl->rate_limited();
        return ROB_OK;
    });
}

ROB_API int rob_ringover_base_url(const char* api_key, const char* override_url, char** out) {
    return guard([&] {
        if (api_key == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        *out = give_text(ringover::base_url_for_key(api_key, override_url ? override_url : ""));
        return ROB_OK;
    });
}

}  // extern "C"
