// Providers written in C (or in anything that can fill a C vtable, such as Python's ctypes):
// the vtables become providers::*Provider objects, and the rob_*_sink_* functions feed the
// C++ sinks from any thread.
//
// Lifetimes. A sink is shared by two owners: the provider (until its terminal call) and the
// request adapter (until the engine drops the request). Whichever lets go last frees it, so a
// worker thread finishing after a barge-in, or after the whole call is gone, touches live
// memory and is simply ignored. Cancellation only raises a flag: it never takes the sink's
// lock, so a provider delivering on another thread cannot deadlock against the engine.
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/providers.hpp"

namespace providers = ringoverbot::providers;
using ringoverbot::Errc;
using ringoverbot::Error;
using ringoverbot::Result;
using ringoverbot::capi::guard;

namespace {

// What a sink of any kind shares between its two owners.
template <class Target>
struct SinkState {
    explicit SinkState(std::shared_ptr<Target> t) : target(std::move(t)) {}
    // Serialises the provider's calls (the C++ sinks are never called concurrently). Recursive:
    // a provider may deliver from inside its own callback, which runs inside the engine.
    std::recursive_mutex mutex;
    std::shared_ptr<Target> target;       // released at the terminal call
    std::atomic<bool> cancelled{false};   // the engine no longer wants anything
    std::atomic<bool> terminated{false};  // the provider made its terminal call
    std::atomic<int> refs{2};             // the provider's and the request adapter's
};

}  // namespace

struct rob_stt_sink : SinkState<providers::SttSink> {
    using SinkState::SinkState;
};
struct rob_llm_sink : SinkState<providers::LlmSink> {
    using SinkState::SinkState;
};
struct rob_tts_sink : SinkState<providers::TtsSink> {
    using SinkState::SinkState;
    std::uint32_t rate_hz = 0;  // of the first chunk; every chunk of a request shares it
};

namespace {

template <class Sink>
void unref(Sink* s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}

// Runs `f(target)` unless the request is over; ROB_DONE when it is.
template <class Sink, class F>
int deliver(Sink* s, F&& f) {
    if (s == nullptr) return ROB_ERR_INVALID_ARGUMENT;
    return guard([&] {
        std::lock_guard lock(s->mutex);
        if (s->cancelled.load(std::memory_order_acquire) || !s->target) return ROB_DONE;
        auto target = s->target;  // survives a reset from inside the call
        f(*target);
        return ROB_OK;
    });
}

// The provider's last call on the sink: delivers `f` (when given and still wanted), drops the
// engine's sink and the provider's reference.
template <class Sink, class F>
int terminate(Sink* s, F&& f) {
    if (s == nullptr) return ROB_ERR_INVALID_ARGUMENT;
    int rc = ROB_DONE;
    {
        std::lock_guard lock(s->mutex);
        s->terminated.store(true, std::memory_order_release);
        std::shared_ptr target = std::move(s->target);
        if (target && !s->cancelled.load(std::memory_order_acquire)) {
            rc = guard([&] {
                f(*target);
                return ROB_OK;
            });
        }
    }
    unref(s);
    return rc;
}

Error provider_error(int code, const char* message, std::string_view what) {
    Error e;
    e.code = code < 0 ? static_cast<Errc>(code) : Errc::provider_failed;
    e.message = message != nullptr && *message != '\0' ? std::string(message) : std::string(what);
    return e;
}

// The shared part of a vtable provider: the copied vtable, released once with the last
// reference (the handle's, a call's, or a request's in flight).
template <class Vtable>
struct VtableHolder {
    explicit VtableHolder(const Vtable& v, const char* default_name)
        : vt(v), name(v.name != nullptr ? v.name : default_name) {}
    ~VtableHolder() {
        if (vt.release != nullptr) vt.release(vt.user_data);
    }
    VtableHolder(const VtableHolder&) = delete;
    VtableHolder& operator=(const VtableHolder&) = delete;
    Vtable vt;
    std::string name;
};

// One request in flight: cancels (once) and frees it through the vtable, then lets go of the
// sink. `Vtable` has cancel/free slots named by the accessors below.
template <class Vtable, class Sink, class Base>
class CRequest : public Base {
  public:
    CRequest(std::shared_ptr<const VtableHolder<Vtable>> holder, Sink* sink, void* data)
        : holder_(std::move(holder)), sink_(sink), data_(data) {}
    ~CRequest() override {
        cancel();
        const auto& vt = holder_->vt;
        if (free_slot(vt) != nullptr) free_slot(vt)(data_, vt.user_data);
        unref(sink_);
    }
    CRequest(const CRequest&) = delete;
    CRequest& operator=(const CRequest&) = delete;

    void cancel() override {
        if (sink_->cancelled.exchange(true, std::memory_order_acq_rel)) return;
        // A request that already completed has nothing to cancel.
        if (sink_->terminated.load(std::memory_order_acquire)) return;
        const auto& vt = holder_->vt;
        if (vt.cancel != nullptr) vt.cancel(data_, vt.user_data);
    }

  protected:
    static auto free_slot(const rob_llm_provider_vtable& v) { return v.free_request; }
    static auto free_slot(const rob_tts_provider_vtable& v) { return v.free_request; }
    static auto free_slot(const rob_stt_provider_vtable& v) { return v.free_stream; }

    std::shared_ptr<const VtableHolder<Vtable>> holder_;
    Sink* sink_;
    void* data_;
};

using LlmRequestAdapter = CRequest<rob_llm_provider_vtable, rob_llm_sink, providers::Request>;
using TtsRequestAdapter = CRequest<rob_tts_provider_vtable, rob_tts_sink, providers::Request>;

class SttStreamAdapter
    : public CRequest<rob_stt_provider_vtable, rob_stt_sink, providers::SttStream> {
  public:
    using CRequest::CRequest;
    void send_audio(std::span<const std::int16_t> samples) override {
        if (sink_->cancelled.load(std::memory_order_acquire) || samples.empty()) return;
        const auto& vt = holder_->vt;
        vt.push_audio(data_, samples.data(), samples.size(), vt.user_data);
    }
    void speech_started() override {
        if (sink_->cancelled.load(std::memory_order_acquire)) return;
        const auto& vt = holder_->vt;
        if (vt.speech_started != nullptr) vt.speech_started(data_, vt.user_data);
    }
    void end_of_turn() override {
        if (sink_->cancelled.load(std::memory_order_acquire)) return;
        const auto& vt = holder_->vt;
        vt.end_of_turn(data_, vt.user_data);
    }
};

// Runs a vtable's start/open: on success the new sink's second reference goes to the request
// adapter; on failure the provider must not have kept the sink, and it is freed here.
template <class Sink, class StartFn>
Result<void*> start_request(Sink* sink, std::string_view provider_name, StartFn&& start) {
    void* data = nullptr;
    const int rc = start(sink, &data);
    if (rc != ROB_OK) {
        delete sink;
        return provider_error(rc, nullptr, std::string(provider_name) + ": start refused");
    }
    return data;
}

class CSttProvider final : public providers::SttProvider {
  public:
    explicit CSttProvider(std::shared_ptr<const VtableHolder<rob_stt_provider_vtable>> h)
        : holder_(std::move(h)) {}
    std::string_view name() const override { return holder_->name; }
    std::uint32_t sample_rate_hz() const override { return holder_->vt.sample_rate_hz; }
    Result<std::unique_ptr<providers::SttStream>> open(
        const providers::SttOptions& options, std::shared_ptr<providers::SttSink> sink) override {
        std::vector<const char*> phrases;
        phrases.reserve(options.phrases.size());
        for (const auto& p : options.phrases) phrases.push_back(p.c_str());
        rob_stt_options o{};
        o.struct_size = sizeof o;
        o.sample_rate_hz = options.sample_rate_hz;
        o.language = options.language.c_str();
        o.phrases = phrases.data();
        o.phrase_count = phrases.size();
        o.call_id = options.call_id.c_str();
        auto* s = new rob_stt_sink(std::move(sink));
        const auto& vt = holder_->vt;
        auto data = start_request(s, holder_->name, [&](rob_stt_sink* sk, void** d) {
            return vt.open(&o, sk, d, vt.user_data);
        });
        if (!data) return data.error();
        return std::unique_ptr<providers::SttStream>(
            std::make_unique<SttStreamAdapter>(holder_, s, *data));
    }

  private:
    std::shared_ptr<const VtableHolder<rob_stt_provider_vtable>> holder_;
};

class CLlmProvider final : public providers::LlmProvider {
  public:
    explicit CLlmProvider(std::shared_ptr<const VtableHolder<rob_llm_provider_vtable>> h)
        : holder_(std::move(h)) {}
    std::string_view name() const override { return holder_->name; }
    Result<std::unique_ptr<providers::Request>> start(
        const providers::LlmRequest& request, std::shared_ptr<providers::LlmSink> sink) override {
        std::vector<rob_llm_message> messages;
        messages.reserve(request.messages.size());
        for (const auto& m : request.messages) {
            messages.push_back({static_cast<int32_t>(m.role), m.content.c_str(), m.content.size()});
        }
        rob_llm_request r{};
        r.struct_size = sizeof r;
        r.messages = messages.data();
        r.message_count = messages.size();
        r.call_id = request.call_id.c_str();
        auto* s = new rob_llm_sink(std::move(sink));
        const auto& vt = holder_->vt;
        auto data = start_request(s, holder_->name, [&](rob_llm_sink* sk, void** d) {
            return vt.start(&r, sk, d, vt.user_data);
        });
        if (!data) return data.error();
        return std::unique_ptr<providers::Request>(
            std::make_unique<LlmRequestAdapter>(holder_, s, *data));
    }

  private:
    std::shared_ptr<const VtableHolder<rob_llm_provider_vtable>> holder_;
};

class CTtsProvider final : public providers::TtsProvider {
  public:
    explicit CTtsProvider(std::shared_ptr<const VtableHolder<rob_tts_provider_vtable>> h)
        : holder_(std::move(h)) {}
    std::string_view name() const override { return holder_->name; }
    Result<std::unique_ptr<providers::Request>> synthesize(
        const providers::TtsRequest& request, std::shared_ptr<providers::TtsSink> sink) override {
        rob_tts_request r{};
        r.struct_size = sizeof r;
        r.text = request.text.c_str();
        r.text_len = request.text.size();
        r.sample_rate_hz = request.sample_rate_hz;
        r.voice = request.voice.c_str();
        auto* s = new rob_tts_sink(std::move(sink));
        const auto& vt = holder_->vt;
        auto data = start_request(s, holder_->name, [&](rob_tts_sink* sk, void** d) {
            return vt.start(&r, sk, d, vt.user_data);
        });
        if (!data) return data.error();
        return std::unique_ptr<providers::Request>(
            std::make_unique<TtsRequestAdapter>(holder_, s, *data));
    }

  private:
    std::shared_ptr<const VtableHolder<rob_tts_provider_vtable>> holder_;
};

// Reads a caller's vtable of `struct_size` bytes over zeroed defaults.
template <class Vtable, class InitFn>
bool read_vtable(const Vtable* in, Vtable& out, InitFn init) {
    if (in == nullptr || in->struct_size < sizeof(std::uint32_t)) return false;
    return ringoverbot::capi::read_params(in, out, init);
}

template <class Vtable>
void init_vtable(Vtable* vt, std::size_t size) {
    if (vt == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(vt, size);
    Vtable full{};
    full.struct_size = static_cast<std::uint32_t>(n);
    if constexpr (std::is_same_v<Vtable, rob_stt_provider_vtable>) full.sample_rate_hz = 16000;
    std::memcpy(vt, &full, n);
}

bool valid_text(const char* text, std::size_t len) {
    return text != nullptr || len == 0;
}

}  // namespace

namespace ringoverbot::capi {

int read_providers(const rob_providers* in, agent::Providers& out) {
    rob_providers p{};
    if (in == nullptr || !read_params(in, p, rob_providers_init)) return ROB_ERR_INVALID_ARGUMENT;
    if (p.stt == nullptr || p.llm == nullptr || p.tts == nullptr) {
        set_last_error("stt, llm and tts providers are required");
        return ROB_ERR_INVALID_ARGUMENT;
    }
    out.stt = p.stt->impl;
    out.llm = p.llm->impl;
    out.tts = p.tts->impl;
    out.fallback_tts = p.fallback_tts != nullptr ? p.fallback_tts->impl : nullptr;
    return ROB_OK;
}

}  // namespace ringoverbot::capi

extern "C" {

ROB_API void rob_providers_init(rob_providers* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    p->struct_size = static_cast<uint32_t>(n);
}

// ---- STT ----

ROB_API void rob_stt_provider_vtable_init(rob_stt_provider_vtable* vt, size_t size) {
    init_vtable(vt, size);
}

ROB_API int rob_stt_provider_create(const rob_stt_provider_vtable* vt, rob_stt_provider** out) {
    return guard([&] {
        rob_stt_provider_vtable v{};
        if (out == nullptr || !read_vtable(vt, v, rob_stt_provider_vtable_init) ||
            v.open == nullptr || v.push_audio == nullptr || v.end_of_turn == nullptr) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto holder = std::make_shared<const VtableHolder<rob_stt_provider_vtable>>(v, "c-stt");
        auto h = std::make_unique<rob_stt_provider>();
        h->name = holder->name;
        h->impl = std::make_shared<CSttProvider>(std::move(holder));
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_stt_provider_destroy(rob_stt_provider* p) {
    delete p;
}

ROB_API const char* rob_stt_provider_name(const rob_stt_provider* p) {
    return p != nullptr ? p->name.c_str() : "";
}

ROB_API int rob_stt_sink_transcript(rob_stt_sink* sink, const char* text, size_t len,
                                    int is_final) {
    return rob_stt_sink_transcript_confidence(sink, text, len, is_final,
                                              providers::kUnknownConfidence);
}

ROB_API int rob_stt_sink_transcript_confidence(rob_stt_sink* sink, const char* text, size_t len,
                                               int is_final, double confidence) {
    if (!valid_text(text, len)) return ROB_ERR_INVALID_ARGUMENT;
    // NaN fails both comparisons; every negative value is "unknown", one spelling of it inside.
    if (!(confidence <= 1.0)) return ROB_ERR_INVALID_ARGUMENT;
    if (confidence < 0.0) confidence = providers::kUnknownConfidence;
    return deliver(sink, [&](providers::SttSink& t) {
        t.on_transcript(len == 0 ? std::string_view() : std::string_view(text, len), is_final != 0,
                        confidence);
    });
}

ROB_API int rob_stt_sink_speech_started(rob_stt_sink* sink) {
    return deliver(sink, [](providers::SttSink& t) { t.on_speech_started(); });
}

ROB_API int rob_stt_sink_utterance_end(rob_stt_sink* sink) {
    return deliver(sink, [](providers::SttSink& t) { t.on_utterance_end(); });
}

ROB_API int rob_stt_sink_error(rob_stt_sink* sink, int code, const char* message) {
    return terminate(sink, [&](providers::SttSink& t) {
        t.on_error(provider_error(code, message, "speech recognition failed"));
    });
}

ROB_API int rob_stt_sink_release(rob_stt_sink* sink) {
    return terminate(sink, [](providers::SttSink&) {});
}

// ---- LLM ----

ROB_API void rob_llm_provider_vtable_init(rob_llm_provider_vtable* vt, size_t size) {
    init_vtable(vt, size);
}

ROB_API int rob_llm_provider_create(const rob_llm_provider_vtable* vt, rob_llm_provider** out) {
    return guard([&] {
        rob_llm_provider_vtable v{};
        if (out == nullptr || !read_vtable(vt, v, rob_llm_provider_vtable_init) ||
            v.start == nullptr) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto holder = std::make_shared<const VtableHolder<rob_llm_provider_vtable>>(v, "c-llm");
        auto h = std::make_unique<rob_llm_provider>();
        h->name = holder->name;
        h->impl = std::make_shared<CLlmProvider>(std::move(holder));
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_llm_provider_destroy(rob_llm_provider* p) {
    delete p;
}

ROB_API const char* rob_llm_provider_name(const rob_llm_provider* p) {
    return p != nullptr ? p->name.c_str() : "";
}

ROB_API int rob_llm_sink_token(rob_llm_sink* sink, const char* text, size_t len) {
    if (!valid_text(text, len)) return ROB_ERR_INVALID_ARGUMENT;
    if (len == 0) return sink != nullptr ? ROB_OK : ROB_ERR_INVALID_ARGUMENT;
    return deliver(sink, [&](providers::LlmSink& t) { t.on_token(std::string_view(text, len)); });
}

ROB_API int rob_llm_sink_action(rob_llm_sink* sink, int kind, const char* value) {
    if (kind < ROB_ACTION_TRANSFER || kind > ROB_ACTION_END_CALL) return ROB_ERR_INVALID_ARGUMENT;
    if (value == nullptr && kind != ROB_ACTION_END_CALL) return ROB_ERR_INVALID_ARGUMENT;
    return deliver(sink, [&](providers::LlmSink& t) {
        providers::Action a;
        a.kind = static_cast<providers::ActionKind>(kind);
        if (value != nullptr) a.value = value;
        t.on_action(a);
    });
}

ROB_API int rob_llm_sink_done(rob_llm_sink* sink) {
    return terminate(sink, [](providers::LlmSink& t) { t.on_done(); });
}

ROB_API int rob_llm_sink_error(rob_llm_sink* sink, int code, const char* message) {
    return terminate(sink, [&](providers::LlmSink& t) {
        t.on_error(provider_error(code, message, "language model failed"));
    });
}

ROB_API int rob_llm_sink_release(rob_llm_sink* sink) {
    return terminate(sink, [](providers::LlmSink&) {});
}

// ---- TTS ----

ROB_API void rob_tts_provider_vtable_init(rob_tts_provider_vtable* vt, size_t size) {
    init_vtable(vt, size);
}

ROB_API int rob_tts_provider_create(const rob_tts_provider_vtable* vt, rob_tts_provider** out) {
    return guard([&] {
        rob_tts_provider_vtable v{};
        if (out == nullptr || !read_vtable(vt, v, rob_tts_provider_vtable_init) ||
            v.start == nullptr) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        auto holder = std::make_shared<const VtableHolder<rob_tts_provider_vtable>>(v, "c-tts");
        auto h = std::make_unique<rob_tts_provider>();
        h->name = holder->name;
        h->impl = std::make_shared<CTtsProvider>(std::move(holder));
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_tts_provider_destroy(rob_tts_provider* p) {
    delete p;
}

ROB_API const char* rob_tts_provider_name(const rob_tts_provider* p) {
    return p != nullptr ? p->name.c_str() : "";
}

ROB_API int rob_tts_sink_audio(rob_tts_sink* sink, const int16_t* samples, size_t count,
                               uint32_t sample_rate_hz) {
    if ((samples == nullptr && count != 0) || sample_rate_hz < 8000 || sample_rate_hz > 48000) {
        return ROB_ERR_INVALID_ARGUMENT;
    }
    if (sink == nullptr) return ROB_ERR_INVALID_ARGUMENT;
    {
        std::lock_guard lock(sink->mutex);
        if (sink->rate_hz == 0) sink->rate_hz = sample_rate_hz;
        if (sink->rate_hz != sample_rate_hz) return ROB_ERR_INVALID_ARGUMENT;
    }
    if (count == 0) return ROB_OK;
    return deliver(sink, [&](providers::TtsSink& t) {
        t.on_audio(std::span<const std::int16_t>(samples, count), sample_rate_hz);
    });
}

ROB_API int rob_tts_sink_done(rob_tts_sink* sink) {
    return terminate(sink, [](providers::TtsSink& t) { t.on_done(); });
}

ROB_API int rob_tts_sink_error(rob_tts_sink* sink, int code, const char* message) {
    return terminate(sink, [&](providers::TtsSink& t) {
        t.on_error(provider_error(code, message, "speech synthesis failed"));
    });
}

ROB_API int rob_tts_sink_release(rob_tts_sink* sink) {
    return terminate(sink, [](providers::TtsSink&) {});
}

}  // extern "C"
