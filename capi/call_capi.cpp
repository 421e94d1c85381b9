// The call engine through the C ABI, for a host that owns its sockets: agent::Call behind a
// handle that adds what C needs (a waker that outlives no destroy, outputs that wait for a
// bigger buffer, turn metrics as flat structs, a guard against re-entry from callbacks).
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/agent.hpp"

namespace agent = ringoverbot::agent;
namespace providers = ringoverbot::providers;
using ringoverbot::capi::fail;
using ringoverbot::capi::guard;

namespace {

// The host's waker, shared with the engine's provider sinks (which may call it from any
// thread, at any time). Switched off under the lock when the handle goes, so the host's
// function is never called after rob_call_destroy returned.
struct WakerState {
    std::mutex mutex;
    rob_waker_fn fn = nullptr;
    void* user_data = nullptr;

    void wake() {
        std::lock_guard lock(mutex);
        if (fn != nullptr) fn(user_data);
    }
    void disable() {
        std::lock_guard lock(mutex);
        fn = nullptr;
    }
};

}  // namespace

struct rob_call {
    std::unique_ptr<agent::Call> call;
    std::shared_ptr<WakerState> waker;
    // Re-entry guard: provider callbacks run inside on_message/poll/on_closed.
    int depth = 0;
    bool destroy_pending = false;
    std::optional<agent::Output> pending_output;  // popped, waiting for a big enough buffer
    agent::TurnMetrics turn;                      // the last turn handed out
    std::vector<rob_action> turn_actions;
    mutable std::string end_reason;  // NUL-terminated copy for rob_call_end_reason
};

namespace {

void destroy_now(rob_call* c) {
    c->depth = 1;  // a destroy from a callback inside ~Call is the same destroy
    c->call.reset();
    if (c->waker) c->waker->disable();
    delete c;
}

// Runs a mutating function on the owner thread: refused from inside a callback, and a destroy
// requested from a callback happens once the outermost function is done with the call.
template <class F>
int enter(rob_call* c, F&& body) {
    if (c == nullptr) return ROB_ERR_INVALID_ARGUMENT;
    if (c->depth > 0) return ROB_ERR_INVALID_STATE;
    ++c->depth;
    const int rc = guard(body);
    --c->depth;
    if (c->destroy_pending) destroy_now(c);
    return rc;
}

std::string text_or_empty(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

// The C++ defaults, for the text settings whose defaults rob_call_params_init points to (they
// live as long as the library; nothing writes them).
const agent::CallConfig& call_defaults() {
    static const agent::CallConfig defaults;
    return defaults;
}

// The C ABI's word lists are comma-separated.
std::vector<std::string> split_list(const char* s) {
    std::vector<std::string> out;
    if (s == nullptr) return out;
    std::string_view rest(s);
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = ringoverbot::text::trim(rest.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

const std::string& default_backchannel_list() {
    static const std::string joined = [] {
        std::string j;
        for (const auto& w : call_defaults().backchannel_words) j += (j.empty() ? "" : ", ") + w;
        return j;
    }();
    return joined;
}

bool is_confidence(double v) {
    return v >= 0.0 && v <= 1.0;
}  // false for NaN

template <class T>
void copy_out(const T& full, T* out) {
    const std::uint32_t caller_size = out->struct_size;
    const std::size_t n = caller_size < sizeof(T) ? caller_size : sizeof(T);
    std::memcpy(out, &full, n);
    out->struct_size = caller_size;
}

}  // namespace

namespace ringoverbot::capi {

int read_call_config(const rob_call_params* in, agent::CallConfig& c) {
    rob_call_params p;
    if (!read_params(in, p, rob_call_params_init)) return ROB_ERR_INVALID_ARGUMENT;
    if (p.max_message_bytes > std::numeric_limits<std::size_t>::max() ||
        p.max_queued_audio_bytes > std::numeric_limits<std::size_t>::max() ||
        (p.expected_phrases == nullptr && p.expected_phrase_count != 0)) {
        return ROB_ERR_INVALID_ARGUMENT;
    }
    c.decoder.default_sample_rate_hz = p.default_sample_rate_hz;
    c.decoder.default_channels = p.default_channels;
    c.decoder.max_message_bytes = static_cast<std::size_t>(p.max_message_bytes);
    if (!read_number_policy(p.number_policy, c.numbers)) {
        set_last_error("number_policy: unknown ROB_NUMBER_* value");
        return ROB_ERR_INVALID_ARGUMENT;
    }
    c.greeting = text_or_empty(p.greeting);
    c.fallback = text_or_empty(p.fallback);
    c.system_prompt = text_or_empty(p.system_prompt);
    c.expected_phrases.clear();
    for (std::size_t i = 0; i < p.expected_phrase_count; ++i) {
        if (p.expected_phrases[i] == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        c.expected_phrases.emplace_back(p.expected_phrases[i]);
    }
    c.voice = text_or_empty(p.voice);
    c.output_sample_rate_hz = p.output_sample_rate_hz;
    c.vad_margin_db = p.vad_margin_db;
    c.vad_min_speech_dbfs = p.vad_min_speech_dbfs;
    c.echo_return_loss_db = p.echo_return_loss_db;
    c.speech_start_ms = p.speech_start_ms;
    c.barge_in_ms = p.barge_in_ms;
    c.endpoint_silence_ms = p.endpoint_silence_ms;
    c.max_turn_ms = p.max_turn_ms;
    c.allow_barge_in = p.allow_barge_in != 0;
    c.chunk_ms = p.chunk_ms;
    c.max_lead_ms = p.max_lead_ms;
    c.max_queued_audio_bytes = static_cast<std::size_t>(p.max_queued_audio_bytes);
    c.stt_timeout_ms = p.stt_timeout_ms;
    c.llm_first_token_timeout_ms = p.llm_first_token_timeout_ms;
    c.llm_total_timeout_ms = p.llm_total_timeout_ms;
    c.tts_first_audio_timeout_ms = p.tts_first_audio_timeout_ms;
    c.max_history_messages = p.max_history_messages;
    c.hangup_grace_ms = p.hangup_grace_ms;
    if (!is_confidence(p.min_confidence) || !is_confidence(p.action_confidence)) {
        set_last_error("min_confidence and action_confidence must be in [0, 1]");
        return ROB_ERR_INVALID_ARGUMENT;
    }
    c.min_confidence = p.min_confidence;
    c.action_confidence = p.action_confidence;
    c.confirm_end_prompt = text_or_empty(p.confirm_end_prompt);
    c.confirm_transfer_prompt = text_or_empty(p.confirm_transfer_prompt);
    c.misheard_speech_ms = p.misheard_speech_ms;
    c.max_misunderstandings = p.max_misunderstandings;
    c.misunderstood_say = text_or_empty(p.misunderstood_say);
    c.misunderstood_transfer = text_or_empty(p.misunderstood_transfer);
    c.complete_phrase_silence_ms = p.complete_phrase_silence_ms;
    c.echo_cancellation = p.echo_cancellation != 0;
    c.echo_tail_ms = p.echo_tail_ms;
    c.noise_suppression = p.noise_suppression != 0;
    c.false_interruption_ms = p.false_interruption_ms;
    c.min_interruption_words = p.min_interruption_words;
    c.backchannel_words = split_list(p.backchannel_words);
    c.idle_reprompt_ms = p.idle_reprompt_ms;
    c.idle_max_reprompts = p.idle_max_reprompts;
    c.reprompt = text_or_empty(p.reprompt);
    c.idle_goodbye = text_or_empty(p.idle_goodbye);
    c.inband_dtmf = p.inband_dtmf != 0;
    c.speculate_after_ms = p.speculate_after_ms;
    return ROB_OK;
}

}  // namespace ringoverbot::capi

extern "C" {

ROB_API void rob_call_params_init(rob_call_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    const agent::CallConfig& d = call_defaults();  // the only copy of the defaults
    rob_call_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.default_sample_rate_hz = d.decoder.default_sample_rate_hz;
    full.default_channels = d.decoder.default_channels;
    full.max_message_bytes = d.decoder.max_message_bytes;
    full.number_policy = ROB_NUMBER_AUTO;
    full.output_sample_rate_hz = d.output_sample_rate_hz;
    full.vad_margin_db = d.vad_margin_db;
    full.vad_min_speech_dbfs = d.vad_min_speech_dbfs;
    full.echo_return_loss_db = d.echo_return_loss_db;
    full.speech_start_ms = d.speech_start_ms;
    full.barge_in_ms = d.barge_in_ms;
    full.endpoint_silence_ms = d.endpoint_silence_ms;
    full.max_turn_ms = d.max_turn_ms;
    full.allow_barge_in = d.allow_barge_in ? 1 : 0;
    full.chunk_ms = d.chunk_ms;
    full.max_lead_ms = d.max_lead_ms;
    full.max_queued_audio_bytes = d.max_queued_audio_bytes;
    full.stt_timeout_ms = d.stt_timeout_ms;
    full.llm_first_token_timeout_ms = d.llm_first_token_timeout_ms;
    full.llm_total_timeout_ms = d.llm_total_timeout_ms;
    full.tts_first_audio_timeout_ms = d.tts_first_audio_timeout_ms;
    full.max_history_messages = static_cast<uint32_t>(d.max_history_messages);
    full.hangup_grace_ms = d.hangup_grace_ms;
    full.min_confidence = d.min_confidence;
    full.action_confidence = d.action_confidence;
    full.confirm_end_prompt = d.confirm_end_prompt.c_str();
    full.confirm_transfer_prompt = d.confirm_transfer_prompt.c_str();
    full.misheard_speech_ms = d.misheard_speech_ms;
    full.max_misunderstandings = d.max_misunderstandings;
    full.misunderstood_say = d.misunderstood_say.c_str();
    full.misunderstood_transfer = d.misunderstood_transfer.c_str();
    full.complete_phrase_silence_ms = d.complete_phrase_silence_ms;
    full.echo_cancellation = d.echo_cancellation ? 1 : 0;
    full.echo_tail_ms = d.echo_tail_ms;
    full.noise_suppression = d.noise_suppression ? 1 : 0;
    full.false_interruption_ms = d.false_interruption_ms;
    full.min_interruption_words = d.min_interruption_words;
    full.backchannel_words = default_backchannel_list().c_str();
    full.idle_reprompt_ms = d.idle_reprompt_ms;
    full.idle_max_reprompts = d.idle_max_reprompts;
    full.reprompt = d.reprompt.c_str();
    full.idle_goodbye = d.idle_goodbye.c_str();
    full.inband_dtmf = d.inband_dtmf ? 1 : 0;
    full.speculate_after_ms = d.speculate_after_ms;
    std::memcpy(p, &full, n);
}

ROB_API int rob_call_create(const rob_call_params* params, const rob_providers* providers,
                            rob_call** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        agent::CallConfig config;
        if (const int rc = ringoverbot::capi::read_call_config(params, config); rc != ROB_OK) {
            return rc;
        }
        agent::Providers set;
        if (const int rc = ringoverbot::capi::read_providers(providers, set); rc != ROB_OK) {
            return rc;
        }
        auto h = std::make_unique<rob_call>();
        agent::Waker waker;
        if (params != nullptr &&
            params->struct_size >= offsetof(rob_call_params, waker_user_data) + sizeof(void*) &&
            params->waker != nullptr) {
            h->waker = std::make_shared<WakerState>();
            h->waker->fn = params->waker;
            h->waker->user_data = params->waker_user_data;
            waker = [state = h->waker] { state->wake(); };
        }
        // Creating the call may open the STT stream: a callback in there must not see a handle.
        h->depth = 1;
        auto call = agent::Call::create(std::move(config), std::move(set), std::move(waker));
        h->depth = 0;
        if (!call) return fail(call.error());
        h->call = std::move(*call);
        *out = h.release();
        return ROB_OK;
    });
}

ROB_API void rob_call_destroy(rob_call* c) {
    if (c == nullptr) return;
    if (c->depth > 0) {
        c->destroy_pending = true;
        return;
    }
    destroy_now(c);
}

ROB_API int rob_call_on_message(rob_call* c, const uint8_t* data, size_t len, int is_binary,
                                int64_t now_us) {
    if (data == nullptr && len != 0) return ROB_ERR_INVALID_ARGUMENT;
    return enter(c, [&] {
        static constexpr std::uint8_t kEmpty[1] = {0};
        c->call->on_message({data != nullptr ? data : kEmpty, len}, is_binary != 0, now_us);
        return ROB_OK;
    });
}

ROB_API int rob_call_on_closed(rob_call* c, const char* reason, int64_t now_us) {
    return enter(c, [&] {
        c->call->on_closed(reason != nullptr ? reason : "close", now_us);
        return ROB_OK;
    });
}

ROB_API int rob_call_poll(rob_call* c, int64_t now_us) {
    return enter(c, [&] {
        c->call->poll(now_us);
        return ROB_OK;
    });
}

ROB_API int rob_call_next_wakeup(const rob_call* c, int64_t* wakeup_us) {
    if (c == nullptr || wakeup_us == nullptr || !c->call) return ROB_ERR_INVALID_ARGUMENT;
    const std::int64_t t = c->call->next_wakeup_us();
    if (t == agent::Call::kNever) return ROB_DONE;
    *wakeup_us = t;
    return ROB_OK;
}

ROB_API int rob_call_next_output(rob_call* c, int32_t* kind, char* out, size_t cap,
                                 size_t* out_len) {
    if (out_len == nullptr) return ROB_ERR_INVALID_ARGUMENT;
    return enter(c, [&] {
        if (!c->pending_output) {
            agent::Output o;
            if (!c->call->next_output(o)) return ROB_DONE;
            c->pending_output = std::move(o);
        }
        const agent::Output& o = *c->pending_output;
        *out_len = o.data.size();
        if (kind != nullptr) *kind = static_cast<int32_t>(o.kind);
        if (cap < o.data.size() || (out == nullptr && !o.data.empty())) {
            return ROB_ERR_BUFFER_TOO_SMALL;
        }
        if (!o.data.empty()) std::memcpy(out, o.data.data(), o.data.size());
        if (cap > o.data.size()) out[o.data.size()] = '\0';
        c->pending_output.reset();
        return ROB_OK;
    });
}

ROB_API int rob_call_next_turn(rob_call* c, rob_turn_metrics* out) {
    if (out == nullptr || out->struct_size < offsetof(rob_turn_metrics, index) + 4) {
        return ROB_ERR_INVALID_ARGUMENT;
    }
    return enter(c, [&] {
        if (!c->call->next_finished_turn(c->turn)) return ROB_DONE;
        const agent::TurnMetrics& t = c->turn;
        c->turn_actions.clear();
        for (const auto& a : t.actions) {
            c->turn_actions.push_back(
                {static_cast<int32_t>(a.kind), a.value.c_str(), a.value.size()});
        }
        rob_turn_metrics m{};
        m.struct_size = sizeof m;
        m.index = t.index;
        m.caller_text = t.caller_text.c_str();
        m.caller_text_len = t.caller_text.size();
        m.bot_text = t.bot_text.c_str();
        m.bot_text_len = t.bot_text.size();
        m.heard_text = t.heard_text.c_str();
        m.heard_text_len = t.heard_text.size();
        m.actions = c->turn_actions.data();
        m.action_count = c->turn_actions.size();
        m.interrupted = t.interrupted ? 1 : 0;
        m.failed = t.failed ? 1 : 0;
        m.speech_end_us = t.speech_end_us;
        m.stt_final_us = t.stt_final_us;
        m.first_token_us = t.first_token_us;
        m.first_audio_us = t.first_audio_us;
        m.first_frame_us = t.first_frame_us;
        m.playout_end_us = t.playout_end_us;
        m.confidence = t.confidence;
        m.misheard = t.misheard ? 1 : 0;
        m.confirmation = t.confirmation ? 1 : 0;
        m.resumes = t.resumes;
        m.reprompt = t.reprompt ? 1 : 0;
        m.speculative = t.speculative ? 1 : 0;
        copy_out(m, out);
        return ROB_OK;
    });
}

ROB_API int rob_call_stats(const rob_call* c, rob_call_counters* out) {
    if (c == nullptr || !c->call || out == nullptr || out->struct_size < sizeof(uint32_t)) {
        return ROB_ERR_INVALID_ARGUMENT;
    }
    const agent::CallStats& s = c->call->stats();
    rob_call_counters k{};
    k.struct_size = sizeof k;
    k.messages_in = s.messages_in;
    k.audio_frames_in = s.audio_frames_in;
    k.protocol_errors = s.protocol_errors;
    k.messages_out = s.messages_out;
    k.audio_messages_out = s.audio_messages_out;
    k.audio_bytes_out = s.audio_bytes_out;
    k.turns = s.turns;
    k.barge_ins = s.barge_ins;
    k.dtmf_in = s.dtmf_in;
    k.stt_errors = s.stt_errors;
    k.llm_errors = s.llm_errors;
    k.tts_errors = s.tts_errors;
    k.timeouts = s.timeouts;
    k.fallbacks = s.fallbacks;
    k.misheard = s.misheard;
    k.confirmations = s.confirmations;
    k.confirmed = s.confirmed;
    k.cancelled_actions = s.cancelled_actions;
    k.misunderstood_offers = s.misunderstood_offers;
    k.echo_cancelled_frames = s.echo_cancelled_frames;
    k.interruptions = s.interruptions;
    k.false_interruptions = s.false_interruptions;
    k.resumes = s.resumes;
    k.reprompts = s.reprompts;
    k.idle_hangups = s.idle_hangups;
    k.dtmf_inband = s.dtmf_inband;
    k.speculations_kept = s.speculations_kept;
    k.speculations_cancelled = s.speculations_cancelled;
    copy_out(k, out);
    return ROB_OK;
}

ROB_API int rob_call_ended(const rob_call* c) {
    return c != nullptr && c->call && c->call->ended() ? 1 : 0;
}

ROB_API int rob_call_finished(const rob_call* c) {
    return c != nullptr && c->call && c->call->finished() && !c->pending_output ? 1 : 0;
}

ROB_API const char* rob_call_end_reason(const rob_call* c) {
    if (c == nullptr || !c->call) return "";
    try {
        c->end_reason.assign(c->call->end_reason());
    } catch (...) {
        return "";
    }
    return c->end_reason.c_str();
}

ROB_API const char* rob_call_metadata(const rob_call* c, const char* name) {
    if (c == nullptr || !c->call || name == nullptr) return nullptr;
    const auto& m = c->call->metadata();
    const std::optional<std::string>* field = nullptr;
    const std::string_view n(name);
    if (n == "call_id") {
        field = &m.call_id;
    } else if (n == "channel_id") {
        field = &m.channel_id;
    } else if (n == "from_number") {
        field = &m.from_number;
    } else if (n == "to_number") {
        field = &m.to_number;
    } else if (n == "direction") {
        field = &m.direction;
    }
    return field != nullptr && field->has_value() ? (*field)->c_str() : nullptr;
}

ROB_API int rob_call_history(const rob_call* c, size_t index, int32_t* role, const char** text,
                             size_t* len) {
    if (c == nullptr || !c->call) return ROB_ERR_INVALID_ARGUMENT;
    const auto& h = c->call->history();
    if (index >= h.size()) return ROB_DONE;
    if (role != nullptr) *role = static_cast<int32_t>(h[index].role);
    if (text != nullptr) *text = h[index].content.c_str();
    if (len != nullptr) *len = h[index].content.size();
    return ROB_OK;
}

}  // extern "C"
