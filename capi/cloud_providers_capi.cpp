// The cloud providers through the C ABI: the shared client, and one params struct and factory
// per provider (OpenAI LLM, Deepgram STT, OpenAI STT, ElevenLabs TTS, OpenAI TTS).
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/cloud_client.hpp"
#include "ringoverbot/providers.hpp"

namespace providers = ringoverbot::providers;
namespace net = ringoverbot::net;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;
using ringoverbot::capi::read_params;
using ringoverbot::capi::set_last_error;

namespace {

// NULL keeps the C++ default (the only copy of it); "" is a value.
void take(const char* in, std::string& out) {
    if (in != nullptr) out = in;
}

// The four deadline fields every cloud params struct ends with; 0 keeps the default.
template <class P>
providers::CloudTimeouts read_timeouts(const P& p) {
    providers::CloudTimeouts t;
    if (p.connect_timeout_ms != 0) t.connect_ms = p.connect_timeout_ms;
    if (p.first_byte_timeout_ms != 0) t.first_byte_ms = p.first_byte_timeout_ms;
    if (p.total_timeout_ms != 0) t.total_ms = p.total_timeout_ms;
    if (p.max_attempts != 0) t.max_attempts = p.max_attempts;
    return t;
}

template <class P>
void write_timeouts(P& p) {
    const providers::CloudTimeouts d;
    p.connect_timeout_ms = d.connect_ms;
    p.first_byte_timeout_ms = d.first_byte_ms;
    p.total_timeout_ms = d.total_ms;
    p.max_attempts = d.max_attempts;
}

// Writes the defaults of a whole P into the first `size` bytes of `p`.
template <class P, class Fill>
void init_params(P* p, std::size_t size, Fill fill) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    P full{};
    full.struct_size = static_cast<uint32_t>(n);
    write_timeouts(full);
    fill(full);
    std::memcpy(p, &full, n);
}

int no_client() {
    set_last_error("cloud client: required (rob_cloud_client_create)");
    return ROB_ERR_INVALID_ARGUMENT;
}

template <class Handle, class Impl>
int give(std::shared_ptr<Impl> impl, Handle** out) {
    auto h = std::make_unique<Handle>();
    h->name = std::string(impl->name());
    h->impl = std::move(impl);
    *out = h.release();
    return ROB_OK;
}

}  // namespace

extern "C" {

ROB_API void rob_cloud_client_params_init(rob_cloud_client_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    rob_cloud_client_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.min_log_level = static_cast<int32_t>(net::CloudClientConfig{}.min_level);
    std::memcpy(p, &full, n);
}

ROB_API int rob_cloud_client_create(const rob_cloud_client_params* params, rob_cloud_client** out) {
    return guard([&] {
        rob_cloud_client_params p;
        if (out == nullptr || !read_params(params, p, rob_cloud_client_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        net::CloudClientConfig c;
        take(p.ca_file, c.ca_file);
        take(p.https_proxy, c.https_proxy);
        if (p.no_proxy == nullptr && p.no_proxy_count != 0) {
            set_last_error("no_proxy: NULL with a nonzero count");
            return ROB_ERR_INVALID_ARGUMENT;
        }
        for (std::size_t i = 0; i < p.no_proxy_count; ++i) {
            if (p.no_proxy[i] == nullptr) {
                set_last_error("no_proxy: a NULL entry");
                return ROB_ERR_INVALID_ARGUMENT;
            }
            c.no_proxy.emplace_back(p.no_proxy[i]);
        }
        if (p.min_log_level < ROB_LOG_DEBUG || p.min_log_level > ROB_LOG_ERROR) {
            set_last_error("min_log_level: must be a ROB_LOG_* value");
            return ROB_ERR_INVALID_ARGUMENT;
        }
        c.min_level = static_cast<net::LogLevel>(p.min_log_level);
        if (p.log != nullptr) {
            // The client may log from more than one thread (its loop, a requester): each line
            // gets its own NUL-terminated copy.
            c.log = [fn = p.log, ud = p.log_user_data](net::LogLevel level, std::string_view line) {
                const std::string text(line);
                fn(static_cast<int32_t>(level), text.c_str(), text.size(), ud);
            };
        }
        auto client = net::make_cloud_client(std::move(c));
        if (!client) return fail(client.error());
        *out = new rob_cloud_client{std::move(*client)};
        return ROB_OK;
    });
}

ROB_API void rob_cloud_client_destroy(rob_cloud_client* c) {
    delete c;
}

ROB_API int rob_cloud_client_error_count(const rob_cloud_client* c, const char* provider,
                                         const char* kind, uint64_t* count) {
    return guard([&] {
        if (c == nullptr || count == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        std::uint64_t sum = 0;
        for (const auto& row : c->impl->error_counts()) {
            if (provider != nullptr && row.provider != provider) continue;
            if (kind != nullptr && row.kind != kind) continue;
            sum += row.count;
        }
        *count = sum;
        return ROB_OK;
    });
}

ROB_API void rob_openai_llm_params_init(rob_openai_llm_params* p, size_t size) {
    init_params(p, size, [](rob_openai_llm_params& f) {
        const providers::OpenAiLlmOptions d;
        f.temperature = d.temperature;
        f.max_tokens = d.max_tokens;
        f.tools = d.tools ? 1 : 0;
    });
}

ROB_API int rob_llm_provider_create_openai(const rob_openai_llm_params* params,
                                           rob_cloud_client* client, rob_llm_provider** out) {
    return guard([&] {
        rob_openai_llm_params p;
        if (out == nullptr || !read_params(params, p, rob_openai_llm_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        if (client == nullptr) return no_client();
        providers::OpenAiLlmOptions o;
        take(p.base_url, o.base_url);
        take(p.api_key, o.api_key);
        take(p.model, o.model);
        o.temperature = p.temperature;
        o.max_tokens = p.max_tokens;
        o.tools = p.tools != 0;
        o.timeouts = read_timeouts(p);
        auto r = providers::make_openai_llm(std::move(o), client->impl);
        if (!r) return fail(r.error());
        return give(std::move(*r), out);
    });
}

ROB_API void rob_deepgram_stt_params_init(rob_deepgram_stt_params* p, size_t size) {
    init_params(p, size, [](rob_deepgram_stt_params& f) {
        const providers::DeepgramSttOptions d;
        f.endpointing_ms = d.endpointing_ms;
        f.utterance_end_ms = d.utterance_end_ms;
        f.interim_results = d.interim_results ? 1 : 0;
        f.vad_events = d.vad_events ? 1 : 0;
        f.keepalive_ms = d.keepalive_ms;
    });
}

ROB_API int rob_stt_provider_create_deepgram(const rob_deepgram_stt_params* params,
                                             rob_cloud_client* client, rob_stt_provider** out) {
    return guard([&] {
        rob_deepgram_stt_params p;
        if (out == nullptr || !read_params(params, p, rob_deepgram_stt_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        if (client == nullptr) return no_client();
        providers::DeepgramSttOptions o;
        take(p.base_url, o.base_url);
        take(p.api_key, o.api_key);
        take(p.model, o.model);
        take(p.language, o.language);
        o.endpointing_ms = p.endpointing_ms;
        o.utterance_end_ms = p.utterance_end_ms;
        o.interim_results = p.interim_results != 0;
        o.vad_events = p.vad_events != 0;
        o.keepalive_ms = p.keepalive_ms;
        o.timeouts = read_timeouts(p);
        auto r = providers::make_deepgram_stt(std::move(o), client->impl);
        if (!r) return fail(r.error());
        return give(std::move(*r), out);
    });
}

ROB_API void rob_openai_stt_params_init(rob_openai_stt_params* p, size_t size) {
    init_params(p, size, [](rob_openai_stt_params& f) {
        const providers::OpenAiSttOptions d;
        f.preroll_ms = d.preroll_ms;
        f.max_turn_ms = d.max_turn_ms;
    });
}

ROB_API int rob_stt_provider_create_openai(const rob_openai_stt_params* params,
                                           rob_cloud_client* client, rob_stt_provider** out) {
    return guard([&] {
        rob_openai_stt_params p;
        if (out == nullptr || !read_params(params, p, rob_openai_stt_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        if (client == nullptr) return no_client();
        providers::OpenAiSttOptions o;
        take(p.base_url, o.base_url);
        take(p.api_key, o.api_key);
        take(p.model, o.model);
        take(p.language, o.language);
        o.preroll_ms = p.preroll_ms;
        o.max_turn_ms = p.max_turn_ms;
        o.timeouts = read_timeouts(p);
        auto r = providers::make_openai_stt(std::move(o), client->impl);
        if (!r) return fail(r.error());
        return give(std::move(*r), out);
    });
}

ROB_API void rob_elevenlabs_tts_params_init(rob_elevenlabs_tts_params* p, size_t size) {
    init_params(p, size, [](rob_elevenlabs_tts_params&) {});
}

ROB_API int rob_tts_provider_create_elevenlabs(const rob_elevenlabs_tts_params* params,
                                               rob_cloud_client* client, rob_tts_provider** out) {
    return guard([&] {
        rob_elevenlabs_tts_params p;
        if (out == nullptr || !read_params(params, p, rob_elevenlabs_tts_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        if (client == nullptr) return no_client();
        providers::ElevenLabsTtsOptions o;
        take(p.base_url, o.base_url);
        take(p.api_key, o.api_key);
        take(p.voice_id, o.voice_id);
        take(p.model_id, o.model_id);
        o.timeouts = read_timeouts(p);
        auto r = providers::make_elevenlabs_tts(std::move(o), client->impl);
        if (!r) return fail(r.error());
        return give(std::move(*r), out);
    });
}

ROB_API void rob_openai_tts_params_init(rob_openai_tts_params* p, size_t size) {
    init_params(p, size,
                [](rob_openai_tts_params& f) { f.speed = providers::OpenAiTtsOptions{}.speed; });
}

ROB_API int rob_tts_provider_create_openai(const rob_openai_tts_params* params,
                                           rob_cloud_client* client, rob_tts_provider** out) {
    return guard([&] {
        rob_openai_tts_params p;
        if (out == nullptr || !read_params(params, p, rob_openai_tts_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        if (client == nullptr) return no_client();
        providers::OpenAiTtsOptions o;
        take(p.base_url, o.base_url);
        take(p.api_key, o.api_key);
        take(p.model, o.model);
        take(p.voice, o.voice);
        o.speed = p.speed;
        o.timeouts = read_timeouts(p);
        auto r = providers::make_openai_tts(std::move(o), client->impl);
        if (!r) return fail(r.error());
        return give(std::move(*r), out);
    });
}

}  // extern "C"
