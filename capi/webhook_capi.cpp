// The webhooks section of ringoverbot.h over ringoverbot::webhook.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/webhook.hpp"

namespace wh = ringoverbot::webhook;
using ringoverbot::Errc;
using ringoverbot::capi::guard;
using ringoverbot::capi::to_code;

struct rob_webhook_verifier {
    explicit rob_webhook_verifier(wh::Verifier v) : verifier(std::move(v)) {}
    wh::Verifier verifier;
    std::vector<wh::Header> headers;  // reused per request
};

struct rob_webhook_result {
    wh::Verdict verdict;
};

namespace {

std::string text_or_empty(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

std::optional<std::string> optional_text(const char* s) {
    if (s == nullptr) return std::nullopt;
    return std::string(s);
}

// Copies a reply into memory the caller releases with rob_free.
int hand_out(const ringoverbot::Result<std::string>& r, char** out, size_t* out_len) {
    if (!r.ok()) return to_code(r.code());
    const std::string& s = r.value();
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p == nullptr) return ROB_ERR_NOMEM;
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    *out = p;
    if (out_len != nullptr) *out_len = s.size();
    return ROB_OK;
}

}  // namespace

namespace ringoverbot::capi {

int read_webhook_config(const rob_webhook_verifier_params* params, wh::Config& c) {
    rob_webhook_verifier_params p;
    if (!read_params(params, p, rob_webhook_verifier_params_init)) return ROB_ERR_INVALID_ARGUMENT;
    if (p.body_policy != ROB_WH_BODY_REQUIRE_EQUAL && p.body_policy != ROB_WH_BODY_USE_SIGNED)
        return ROB_ERR_INVALID_ARGUMENT;
    c.public_url = text_or_empty(p.public_url);
    c.call_events_key = text_or_empty(p.call_events_key);
    c.contact_call_key = text_or_empty(p.contact_call_key);
    c.contact_search_key = text_or_empty(p.contact_search_key);
    c.routing_key = text_or_empty(p.routing_key);
    c.ivr_token = text_or_empty(p.ivr_token);
    c.body_policy = static_cast<wh::BodyPolicy>(p.body_policy);
    c.accept_legacy_hmac = p.accept_legacy_hmac != 0;
    c.reject_replays = p.reject_replays != 0;
    c.replay_cache_size = p.replay_cache_size;
    c.replay_window_s = p.replay_window_s;
    c.leeway_s = p.leeway_s;
    c.v3_window_s = p.v3_window_s;
    c.max_body_bytes = p.max_body_bytes;
    return ROB_OK;
}

}  // namespace ringoverbot::capi

extern "C" {

ROB_API void rob_webhook_verifier_params_init(rob_webhook_verifier_params* p, size_t size) {
    if (p == nullptr || size < sizeof(uint32_t)) return;
    rob_webhook_verifier_params d{};
    d.struct_size = sizeof d;
    d.body_policy = ROB_WH_BODY_REQUIRE_EQUAL;
    d.accept_legacy_hmac = 0;
    d.reject_replays = 1;
    d.replay_cache_size = 4096;
    d.replay_window_s = 600;
    d.leeway_s = 60;
    d.v3_window_s = 300;
    d.max_body_bytes = 1u << 20;
    const size_t n = ringoverbot::capi::begin_init(p, size);
    std::memcpy(p, &d, n);
    p->struct_size = static_cast<uint32_t>(n);
}

ROB_API void rob_webhook_request_init(rob_webhook_request* r, size_t size) {
    if (r == nullptr || size < sizeof(uint32_t)) return;
    rob_webhook_request d{};
    d.struct_size = sizeof d;
    d.method = "POST";
    const size_t n = ringoverbot::capi::begin_init(r, size);
    std::memcpy(r, &d, n);
    r->struct_size = static_cast<uint32_t>(n);
}

ROB_API int rob_webhook_verifier_create(const rob_webhook_verifier_params* params,
                                        rob_webhook_verifier** out) {
    return guard([&]() -> int {
        if (params == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        wh::Config c;
        if (const int rc = ringoverbot::capi::read_webhook_config(params, c); rc != ROB_OK)
            return rc;
        auto v = wh::Verifier::create(std::move(c));
        if (!v.ok()) return to_code(v.code());
        *out = new rob_webhook_verifier(std::move(v.value()));
        return ROB_OK;
    });
}

ROB_API void rob_webhook_verifier_destroy(rob_webhook_verifier* v) {
    delete v;
}

ROB_API int rob_webhook_verify(rob_webhook_verifier* v, const rob_webhook_request* req,
                               rob_webhook_result** out) {
    return guard([&]() -> int {
        if (v == nullptr || req == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        rob_webhook_request r;
        if (!ringoverbot::capi::read_params(req, r, rob_webhook_request_init))
            return ROB_ERR_INVALID_ARGUMENT;
        if (r.body == nullptr && r.body_len != 0) return ROB_ERR_INVALID_ARGUMENT;
        if (r.header_count != 0 && (r.header_names == nullptr || r.header_values == nullptr))
            return ROB_ERR_INVALID_ARGUMENT;
        v->headers.clear();
        for (size_t i = 0; i < r.header_count; ++i) {
            if (r.header_names[i] == nullptr) return ROB_ERR_INVALID_ARGUMENT;
            const char* value = r.header_values[i] != nullptr ? r.header_values[i] : "";
            v->headers.push_back({r.header_names[i], value});
        }
        wh::Request request;
        request.method = r.method != nullptr ? std::string_view(r.method) : "POST";
        request.url = r.url != nullptr ? std::string_view(r.url) : std::string_view();
        request.headers = v->headers;
        request.body = r.body_len != 0
                           ? std::string_view(reinterpret_cast<const char*>(r.body), r.body_len)
                           : std::string_view();
        request.now = r.now;
        auto result = std::make_unique<rob_webhook_result>();
        v->verifier.verify(request, result->verdict);
        *out = result.release();
        return ROB_OK;
    });
}

ROB_API void rob_webhook_result_destroy(rob_webhook_result* r) {
    delete r;
}

ROB_API int rob_webhook_result_reason(const rob_webhook_result* r) {
    return r != nullptr ? static_cast<int>(r->verdict.reason) : ROB_ERR_INVALID_ARGUMENT;
}

ROB_API const char* rob_webhook_result_detail(const rob_webhook_result* r) {
    return r != nullptr ? r->verdict.detail.c_str() : "";
}

ROB_API const char* rob_webhook_reason_name(int reason) {
    // The names are string literals, so data() is NUL-terminated.
    return wh::reason_name(static_cast<wh::Reason>(reason)).data();
}

ROB_API int rob_webhook_reason_http_status(int reason) {
    return wh::http_status(static_cast<wh::Reason>(reason));
}

ROB_API const char* rob_webhook_result_field(const rob_webhook_result* r, const char* name) {
    if (r == nullptr || name == nullptr || !(r->verdict.ok() || r->verdict.duplicate()))
        return nullptr;
    const auto f = wh::field_from_name(name);
    return f ? r->verdict.event.field_c_str(*f) : nullptr;
}

ROB_API const char* rob_webhook_result_json(const rob_webhook_result* r, size_t* len) {
    if (r == nullptr || !(r->verdict.ok() || r->verdict.duplicate())) {
        if (len != nullptr) *len = 0;
        return nullptr;
    }
    const std::string_view raw = r->verdict.event.raw_json();
    if (len != nullptr) *len = raw.size();
    return raw.data();  // a std::string's buffer: NUL-terminated
}

ROB_API int rob_webhook_result_kind(const rob_webhook_result* r) {
    return r != nullptr ? static_cast<int>(r->verdict.event.kind()) : ROB_WH_EVENT_NONE;
}

ROB_API int rob_webhook_build_contact_reply(const rob_webhook_contact* c, char** out,
                                            size_t* out_len) {
    return guard([&]() -> int {
        if (c == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (c->data_count != 0 && (c->data_keys == nullptr || c->data_values == nullptr))
            return ROB_ERR_INVALID_ARGUMENT;
        wh::Contact contact;
        contact.uuid = optional_text(c->uuid);
        contact.firstname = optional_text(c->firstname);
        contact.lastname = optional_text(c->lastname);
        contact.company = optional_text(c->company);
        contact.url = optional_text(c->url);
        for (size_t i = 0; i < c->data_count; ++i) {
            if (c->data_keys[i] == nullptr || c->data_values[i] == nullptr)
                return ROB_ERR_INVALID_ARGUMENT;
            contact.data.emplace_back(c->data_keys[i], c->data_values[i]);
        }
        contact.is_shared = c->is_shared != 0;
        return hand_out(wh::build_contact_reply(contact), out, out_len);
    });
}

ROB_API int rob_webhook_build_search_reply(const rob_webhook_search_hit* hits, size_t count,
                                           char** out, size_t* out_len) {
    return guard([&]() -> int {
        if (out == nullptr || (hits == nullptr && count != 0)) return ROB_ERR_INVALID_ARGUMENT;
        std::vector<wh::SearchHit> list(count);
        for (size_t i = 0; i < count; ++i) {
            const rob_webhook_search_hit& h = hits[i];
            if (h.number_count != 0 && h.numbers == nullptr) return ROB_ERR_INVALID_ARGUMENT;
            list[i].firstname = optional_text(h.firstname);
            list[i].lastname = optional_text(h.lastname);
            list[i].company = optional_text(h.company);
            list[i].url = optional_text(h.url);
            for (size_t j = 0; j < h.number_count; ++j) {
                if (h.numbers[j].number == nullptr) return ROB_ERR_INVALID_ARGUMENT;
                list[i].numbers.push_back({h.numbers[j].number, text_or_empty(h.numbers[j].type)});
            }
        }
        return hand_out(wh::build_search_reply(list), out, out_len);
    });
}

ROB_API int rob_webhook_build_routing_reply(const char* dispatch,
                                            const rob_webhook_routing_agent* agents, size_t count,
                                            char** out, size_t* out_len) {
    return guard([&]() -> int {
        if (out == nullptr || (agents == nullptr && count != 0)) return ROB_ERR_INVALID_ARGUMENT;
        std::vector<wh::RoutingAgent> list(count);
        for (size_t i = 0; i < count; ++i) {
            if (agents[i].number == nullptr) return ROB_ERR_INVALID_ARGUMENT;
            list[i].number = agents[i].number;
            list[i].ring_duration_s = agents[i].ring_duration_s;
            list[i].ring_delay_s = agents[i].ring_delay_s;
            list[i].is_caller_id = agents[i].is_caller_id != 0;
        }
        return hand_out(wh::build_routing_reply(list, dispatch != nullptr ? dispatch : "ringall"),
                        out, out_len);
    });
}

}  // extern "C"
