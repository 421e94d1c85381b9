// The built-in local providers through the C ABI (pocketsphinx, flite, the scripted dialog, the
// TTS cache), their worker pool, and what a host reads from a dialog file.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/providers.hpp"

namespace providers = ringoverbot::providers;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;

struct rob_dialog {
    providers::DialogSummary summary;
};

namespace {

constexpr std::uint32_t kMaxPoolThreads = 256;

std::string_view json_text(const char* json, std::size_t len) {
    return len == 0 ? std::string_view() : std::string_view(json, len);
}

int give_tts(std::shared_ptr<providers::TtsProvider> impl,
             std::shared_ptr<providers::CachedTts> cache, rob_tts_provider** out) {
    auto h = std::make_unique<rob_tts_provider>();
    h->name = std::string(impl->name());
    h->impl = std::move(impl);
    h->cache = std::move(cache);
    *out = h.release();
    return ROB_OK;
}

const char* nth(const std::vector<std::string>& v, std::size_t i) {
    return i < v.size() ? v[i].c_str() : nullptr;
}

}  // namespace

extern "C" {

ROB_API int rob_worker_pool_create(uint32_t threads, rob_worker_pool** out) {
    return guard([&] {
        if (out == nullptr || threads == 0 || threads > kMaxPoolThreads) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto h = std::make_unique<rob_worker_pool>();
        h->impl = providers::WorkerPool::create(threads);
        if (!h->impl) return ROB_ERR_NOMEM;
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_worker_pool_destroy(rob_worker_pool* pool) {
    delete pool;
}

ROB_API void rob_pocketsphinx_params_init(rob_pocketsphinx_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    const providers::PocketsphinxOptions d;
    rob_pocketsphinx_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.use_grammar = d.use_grammar ? 1 : 0;
    full.preroll_ms = d.preroll_ms;
    std::memcpy(p, &full, n);
}

ROB_API int rob_stt_provider_create_pocketsphinx(const rob_pocketsphinx_params* params,
                                                 rob_worker_pool* pool, rob_stt_provider** out) {
    return guard([&] {
        rob_pocketsphinx_params p;
        if (out == nullptr || pool == nullptr ||
            !ringoverbot::capi::read_params(params, p, rob_pocketsphinx_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        providers::PocketsphinxOptions o;
        if (p.model_dir != nullptr) o.model_dir = p.model_dir;
        o.use_grammar = p.use_grammar != 0;
        o.preroll_ms = p.preroll_ms;
        auto r = providers::make_pocketsphinx_stt(std::move(o), pool->impl);
        if (!r) return fail(r.error());
        auto h = std::make_unique<rob_stt_provider>();
        h->name = std::string((*r)->name());
        h->impl = std::move(*r);
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_flite_params_init(rob_flite_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    rob_flite_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.voice = nullptr;  // the provider's default ("slt")
    full.speed = providers::FliteOptions{}.speed;
    std::memcpy(p, &full, n);
}

ROB_API int rob_tts_provider_create_flite(const rob_flite_params* params, rob_worker_pool* pool,
                                          rob_tts_provider** out) {
    return guard([&] {
        rob_flite_params p;
        if (out == nullptr || pool == nullptr ||
            !ringoverbot::capi::read_params(params, p, rob_flite_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        providers::FliteOptions o;
        if (p.voice != nullptr) o.voice = p.voice;
        o.speed = p.speed;
        auto r = providers::make_flite_tts(std::move(o), pool->impl);
        if (!r) return fail(r.error());
        return give_tts(std::move(*r), nullptr, out);
    });
}

ROB_API int rob_llm_provider_create_scripted(const char* dialog_json, size_t len,
                                             rob_llm_provider** out) {
    return guard([&] {
        if (out == nullptr || (dialog_json == nullptr && len != 0)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto r = providers::make_scripted_llm(json_text(dialog_json, len));
        if (!r) return fail(r.error());
        auto h = std::make_unique<rob_llm_provider>();
        h->name = std::string((*r)->name());
        h->impl = std::move(*r);
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API int rob_tts_provider_create_cached(rob_tts_provider* inner, uint64_t max_bytes,
                                           rob_tts_provider** out) {
    return guard([&] {
        if (out == nullptr || inner == nullptr || max_bytes > SIZE_MAX) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        providers::TtsCacheOptions o;
        if (max_bytes != 0) o.max_bytes = static_cast<std::size_t>(max_bytes);
        auto cache = providers::CachedTts::create(inner->impl, o);
        if (!cache) return ROB_ERR_NOMEM;
        return give_tts(cache, cache, out);
    });
}

ROB_API int rob_tts_provider_prewarm(rob_tts_provider* cached, const char* const* texts,
                                     size_t count, uint32_t sample_rate_hz) {
    return guard([&] {
        if (cached == nullptr || !cached->cache || (texts == nullptr && count != 0) ||
            sample_rate_hz == 0) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        std::vector<std::string> phrases;
        phrases.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            if (texts[i] == nullptr) return ROB_ERR_INVALID_ARGUMENT;
            phrases.emplace_back(texts[i]);
        }
        cached->cache->prewarm(phrases, sample_rate_hz);
        return ROB_OK;
    });
}

ROB_API int rob_tts_provider_cache_stats(const rob_tts_provider* cached, uint64_t* bytes,
                                         uint64_t* hits, uint64_t* misses) {
    return guard([&] {
        if (cached == nullptr || !cached->cache) return ROB_ERR_INVALID_ARGUMENT;
        if (bytes != nullptr) *bytes = cached->cache->cached_bytes();
        if (hits != nullptr) *hits = cached->cache->hits();
        if (misses != nullptr) *misses = cached->cache->misses();
        return ROB_OK;
    });
}

ROB_API int rob_dialog_parse(const char* dialog_json, size_t len, rob_dialog** out) {
    return guard([&] {
        if (out == nullptr || (dialog_json == nullptr && len != 0)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto r = providers::describe_dialog(json_text(dialog_json, len));
        if (!r) return fail(r.error());
        *out = new rob_dialog{std::move(*r)};
        return ROB_OK;
    });
}

ROB_API void rob_dialog_destroy(rob_dialog* d) {
    delete d;
}

ROB_API const char* rob_dialog_greeting(const rob_dialog* d) {
    return d != nullptr ? d->summary.greeting.c_str() : nullptr;
}

ROB_API const char* rob_dialog_fallback(const rob_dialog* d) {
    return d != nullptr ? d->summary.fallback.c_str() : nullptr;
}

ROB_API size_t rob_dialog_phrase_count(const rob_dialog* d) {
    return d != nullptr ? d->summary.phrases.size() : 0;
}

ROB_API const char* rob_dialog_phrase(const rob_dialog* d, size_t index) {
    return d != nullptr ? nth(d->summary.phrases, index) : nullptr;
}

ROB_API size_t rob_dialog_reply_count(const rob_dialog* d) {
    return d != nullptr ? d->summary.replies.size() : 0;
}

ROB_API const char* rob_dialog_reply(const rob_dialog* d, size_t index) {
    return d != nullptr ? nth(d->summary.replies, index) : nullptr;
}

}  // extern "C"
