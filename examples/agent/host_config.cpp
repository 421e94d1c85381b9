#include "agent/host_config.hpp"

#include <arpa/inet.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ringoverbot::agenthost {

// The server's settings this file fills: ServerConfig, LogLevel, validate_config.
using namespace ringoverbot::net;

namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

Error bad(std::string message) {
    return Error{Errc::invalid_argument, std::move(message)};
}

// ---- typed readers of config values ---------------------------------------------------------

Status read_string(value v, const std::string& path, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return bad("config " + path + ": expected a string");
    out.assign(s);
    return {};
}

Status read_bool(value v, const std::string& path, bool& out) {
    if (v.get_bool().get(out)) return bad("config " + path + ": expected true or false");
    return {};
}

template <class T>
Status read_uint(value v, const std::string& path, T& out, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) || n < lo || n > hi)
        return bad("config " + path + ": expected an integer within " + std::to_string(lo) + ".." +
                   std::to_string(hi));
    out = static_cast<T>(n);
    return {};
}

Status read_double(value v, const std::string& path, double& out, double lo, double hi) {
    double d = 0;
    if (v.get_double().get(d) || !std::isfinite(d) || d < lo || d > hi)
        return bad("config " + path + ": expected a number within " + std::to_string(lo) + ".." +
                   std::to_string(hi));
    out = d;
    return {};
}

// A list of words: an array of strings.
Status read_string_list(value v, const std::string& path, std::vector<std::string>& out) {
    simdjson::ondemand::array arr;
    if (v.get_array().get(arr)) return bad("config " + path + ": expected an array of strings");
    std::vector<std::string> items;
    for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s))
            return bad("config " + path + ": expected an array of strings");
        items.emplace_back(s);
    }
    out = std::move(items);
    return {};
}

// A confirmation question: a caller asked nothing would not know to say yes.
Status read_prompt(value v, const std::string& path, std::string& out) {
    std::string text;
    if (auto s = read_string(v, path, text); !s) return s;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return bad("config " + path + ": expected a question, got an empty text");
    out = std::move(text);
    return {};
}

Status check_choice(std::string_view flag, std::string_view value_text,
                    std::initializer_list<std::string_view> choices) {
    for (auto c : choices)
        if (value_text == c) return {};
    std::string list;
    for (auto c : choices) list.append(list.empty() ? "" : "|").append(c);
    return bad(std::string(flag) + ": expected " + list + ", got '" + std::string(value_text) +
               "'");
}

constexpr std::uint64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 40;

// ---- sections -------------------------------------------------------------------------------

// Calls `apply(key, path, value)` for each member of the object at `base`, stopping at the first
// failure; every error names the member's JSON path.
template <class Apply>
Status for_each_member(object obj, const std::string& base, Apply&& apply) {
    for (auto field : obj) {
        std::string_view k;
        if (field.unescaped_key().get(k)) return bad("config " + base + ": bad key");
        const std::string path = base + "." + std::string(k);
        value v;
        if (field.value().get(v)) return bad("config " + path + ": bad value");
        if (auto s = apply(k, path, v); !s) return s;
    }
    return {};
}

Status apply_webhook_keys(object obj, const std::string& base, webhook::Config& wh) {
    return for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            std::string* dst = k == "call_events"      ? &wh.call_events_key
                               : k == "contact_call"   ? &wh.contact_call_key
                               : k == "contact_search" ? &wh.contact_search_key
                               : k == "routing"        ? &wh.routing_key
                                                       : nullptr;
            if (dst == nullptr)
                return bad(
                    "config " + path +
                    ": unknown section (call_events, contact_call, contact_search, routing)");
            return read_string(v, path, *dst);
        });
}

Status apply_webhook(object obj, const std::string& base, HostOptions& o) {
    webhook::Config& wh = o.server.webhook;
    return for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            Status s;
            if (k == "body_policy") {
                std::string p;
                s = read_string(v, path, p);
                if (s && p == "require_equal")
                    wh.body_policy = webhook::BodyPolicy::require_equal;
                else if (s && p == "use_signed")
                    wh.body_policy = webhook::BodyPolicy::use_signed;
                else if (s)
                    s = bad("config " + path + ": expected require_equal or use_signed");
            } else if (k == "accept_legacy_hmac") {
                s = read_bool(v, path, wh.accept_legacy_hmac);
            } else if (k == "reject_replays") {
                s = read_bool(v, path, wh.reject_replays);
            } else if (k == "replay_cache_size") {
                s = read_uint(v, path, wh.replay_cache_size, 1, 1u << 24);
            } else if (k == "replay_window_s") {
                s = read_double(v, path, wh.replay_window_s, 0, 86400 * 7);
            } else if (k == "leeway_s") {
                s = read_double(v, path, wh.leeway_s, 0, 86400);
            } else if (k == "v3_window_s") {
                s = read_double(v, path, wh.v3_window_s, 0, 86400);
            } else if (k == "clock") {
                double t = 0;
                s = read_double(v, path, t, 0, 1e11);
                if (s) o.webhook_clock = t;
            } else {
                return bad("config " + path + ": unknown key");
            }
            return s;
        });
}

Status apply_call(object obj, const std::string& base, agent::CallConfig& c) {
    return for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            Status s;
            if (k == "greeting")
                s = read_string(v, path, c.greeting);
            else if (k == "fallback")
                s = read_string(v, path, c.fallback);
            else if (k == "system_prompt")
                s = read_string(v, path, c.system_prompt);
            else if (k == "language")
                s = bad("config " + path + ": not supported yet");
            else if (k == "output_sample_rate_hz") {
                s = read_uint(v, path, c.output_sample_rate_hz, 0, 24000);
                if (s && c.output_sample_rate_hz != 0 && c.output_sample_rate_hz != 8000 &&
                    c.output_sample_rate_hz != 16000 && c.output_sample_rate_hz != 24000)
                    s = bad("config " + path + ": expected 0, 8000, 16000 or 24000");
            } else if (k == "inbound_sample_rate_hz") {
                s = read_uint(v, path, c.decoder.default_sample_rate_hz, 8000, 48000);
            } else if (k == "inbound_channels") {
                s = read_uint(v, path, c.decoder.default_channels, 1, 2);
            } else if (k == "number_mode") {
                std::string m;
                s = read_string(v, path, m);
                if (s && m == "automatic")
                    c.numbers.mode = streamer::NumberMode::automatic;
                else if (s && m == "string")
                    c.numbers.mode = streamer::NumberMode::string;
                else if (s)
                    s = bad("config " + path + ": expected automatic or string");
            } else if (k == "chunk_ms")
                s = read_uint(v, path, c.chunk_ms, 100, 500);
            else if (k == "max_lead_ms")
                s = read_uint(v, path, c.max_lead_ms, 100, 10000);
            else if (k == "speech_start_ms")
                s = read_uint(v, path, c.speech_start_ms, 20, 5000);
            else if (k == "barge_in_ms")
                s = read_uint(v, path, c.barge_in_ms, 20, 5000);
            else if (k == "endpoint_silence_ms")
                s = read_uint(v, path, c.endpoint_silence_ms, 100, 10000);
            else if (k == "max_turn_ms")
                s = read_uint(v, path, c.max_turn_ms, 1000, 600000);
            else if (k == "allow_barge_in")
                s = read_bool(v, path, c.allow_barge_in);
            else if (k == "vad_margin_db")
                s = read_double(v, path, c.vad_margin_db, 0, 60);
            else if (k == "vad_min_speech_dbfs")
                s = read_double(v, path, c.vad_min_speech_dbfs, -120, 0);
            else if (k == "echo_return_loss_db")
                s = read_double(v, path, c.echo_return_loss_db, 0, 80);
            else if (k == "stt_timeout_ms")
                s = read_uint(v, path, c.stt_timeout_ms, 1, kMaxU32);
            else if (k == "llm_first_token_timeout_ms")
                s = read_uint(v, path, c.llm_first_token_timeout_ms, 1, kMaxU32);
            else if (k == "llm_total_timeout_ms")
                s = read_uint(v, path, c.llm_total_timeout_ms, 1, kMaxU32);
            else if (k == "tts_first_audio_timeout_ms")
                s = read_uint(v, path, c.tts_first_audio_timeout_ms, 1, kMaxU32);
            else if (k == "max_history_messages")
                s = read_uint(v, path, c.max_history_messages, 0, 100000);
            else if (k == "hangup_grace_ms")
                s = read_uint(v, path, c.hangup_grace_ms, 0, 60000);
            else if (k == "max_queued_audio_bytes")
                s = read_uint(v, path, c.max_queued_audio_bytes, 4096, kMaxSize);
            // Trusting what was heard: the confidence gates and their prompts.
            else if (k == "min_confidence")
                s = read_double(v, path, c.min_confidence, 0, 1);
            else if (k == "action_confidence")
                s = read_double(v, path, c.action_confidence, 0, 1);
            else if (k == "confirm_end_prompt")
                s = read_prompt(v, path, c.confirm_end_prompt);
            else if (k == "confirm_transfer_prompt")
                s = read_prompt(v, path, c.confirm_transfer_prompt);
            else if (k == "misheard_speech_ms")
                s = read_uint(v, path, c.misheard_speech_ms, 50, 10000);
            else if (k == "max_misunderstandings")
                s = read_uint(v, path, c.max_misunderstandings, 0, 100);
            else if (k == "misunderstood_say")
                s = read_string(v, path, c.misunderstood_say);
            else if (k == "misunderstood_transfer")
                s = read_string(v, path, c.misunderstood_transfer);
            else if (k == "complete_phrase_silence_ms")
                s = read_uint(v, path, c.complete_phrase_silence_ms, 50, 10000);
            else if (k == "echo_cancellation")
                s = read_bool(v, path, c.echo_cancellation);
            else if (k == "echo_tail_ms")
                s = read_uint(v, path, c.echo_tail_ms, 20, 2000);
            else if (k == "noise_suppression")
                s = read_bool(v, path, c.noise_suppression);
            // Reversible barge-in, the idle caller, in-band DTMF.
            else if (k == "false_interruption_ms")
                s = read_uint(v, path, c.false_interruption_ms, 0, 60000);
            else if (k == "min_interruption_words")
                s = read_uint(v, path, c.min_interruption_words, 0, 100);
            else if (k == "backchannel_words")
                s = read_string_list(v, path, c.backchannel_words);
            else if (k == "idle_reprompt_ms") {
                s = read_uint(v, path, c.idle_reprompt_ms, 0, 3600000);
                if (s && c.idle_reprompt_ms != 0 && c.idle_reprompt_ms < 1000)
                    s = bad("config " + path + ": expected 0 (never) or at least 1000");
            } else if (k == "idle_max_reprompts")
                s = read_uint(v, path, c.idle_max_reprompts, 0, 100);
            else if (k == "reprompt")
                s = read_prompt(v, path, c.reprompt);
            else if (k == "idle_goodbye")
                s = read_string(v, path, c.idle_goodbye);
            else if (k == "inband_dtmf")
                s = read_bool(v, path, c.inband_dtmf);
            else if (k == "speculate_after_ms")  // the speculative reply; 0 = off
                s = read_uint(v, path, c.speculate_after_ms, 0, 10000);
            else
                return bad("config " + path + ": unknown key");
            return s;
        });
}

Status apply_openai(object obj, const std::string& base, HostOptions& o) {
    return for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            if (k == "base_url") {
                std::string url;
                if (auto s = read_string(v, path, url); !s) return s;
                o.openai_llm.base_url = o.openai_stt.base_url = o.openai_tts.base_url = url;
                return {};
            }
            if (k == "model") return read_string(v, path, o.openai_llm.model);
            if (k == "temperature") return read_double(v, path, o.openai_llm.temperature, -1, 2);
            if (k == "max_tokens") return read_uint(v, path, o.openai_llm.max_tokens, 0, 100000);
            if (k == "tools") return read_bool(v, path, o.openai_llm.tools);
            if (k == "stt_model") return read_string(v, path, o.openai_stt.model);
            if (k == "stt_language") return read_string(v, path, o.openai_stt.language);
            if (k == "tts_model") return read_string(v, path, o.openai_tts.model);
            if (k == "tts_voice") return read_string(v, path, o.openai_tts.voice);
            if (k == "tts_speed") return read_double(v, path, o.openai_tts.speed, 0.25, 4.0);
            return bad("config " + path + ": unknown key");
        });
}

Status apply_deepgram(object obj, const std::string& base, providers::DeepgramSttOptions& d) {
    return for_each_member(obj, base,
                           [&](std::string_view k, const std::string& path, value v) -> Status {
                               if (k == "base_url") return read_string(v, path, d.base_url);
                               if (k == "model") return read_string(v, path, d.model);
                               if (k == "language") return read_string(v, path, d.language);
                               if (k == "endpointing_ms")
                                   return read_uint(v, path, d.endpointing_ms, 0, 10000);
                               if (k == "utterance_end_ms")
                                   return read_uint(v, path, d.utterance_end_ms, 0, 5000);
                               if (k == "interim_results")
                                   return read_bool(v, path, d.interim_results);
                               if (k == "vad_events") return read_bool(v, path, d.vad_events);
                               if (k == "keepalive_ms")
                                   return read_uint(v, path, d.keepalive_ms, 500, 9000);
                               return bad("config " + path + ": unknown key");
                           });
}

Status apply_elevenlabs(object obj, const std::string& base, providers::ElevenLabsTtsOptions& e) {
    return for_each_member(obj, base,
                           [&](std::string_view k, const std::string& path, value v) -> Status {
                               if (k == "base_url") return read_string(v, path, e.base_url);
                               if (k == "voice_id") return read_string(v, path, e.voice_id);
                               if (k == "model_id") return read_string(v, path, e.model_id);
                               return bad("config " + path + ": unknown key");
                           });
}

// One set of deadlines and retries for every cloud request.
Status apply_cloud(object obj, const std::string& base, HostOptions& o) {
    providers::CloudTimeouts t = o.openai_llm.timeouts;
    Status st = for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            if (k == "connect_timeout_ms") return read_uint(v, path, t.connect_ms, 100, 60000);
            if (k == "first_byte_timeout_ms")
                return read_uint(v, path, t.first_byte_ms, 100, 120000);
            if (k == "total_timeout_ms") return read_uint(v, path, t.total_ms, 100, 600000);
            if (k == "max_attempts") return read_uint(v, path, t.max_attempts, 1, 10);
            if (k == "ca_file") return read_string(v, path, o.cloud.ca_file);
            if (k == "https_proxy") return read_string(v, path, o.cloud.https_proxy);
            return bad("config " + path + ": unknown key");
        });
    o.openai_llm.timeouts = o.openai_stt.timeouts = o.openai_tts.timeouts = t;
    o.deepgram.timeouts = o.elevenlabs.timeouts = t;
    return st;
}

// Ringover's REST API: pacing, paths (several unverified) and the agent's use of it.
Status apply_ringover(object obj, const std::string& base, HostOptions& o) {
    ringover::RestConfig& r = o.ringover;
    return for_each_member(
        obj, base, [&](std::string_view k, const std::string& path, value v) -> Status {
            if (k == "transfer_fallback_ms")
                return read_uint(v, path, o.server.rest_transfer_fallback_ms, 0, 600000);
            if (k == "call_context") return read_bool(v, path, o.server.rest_call_context);
            if (k == "requests_per_second")
                return read_double(v, path, r.requests_per_second, 0.01, 1000);
            if (k == "burst") return read_uint(v, path, r.burst, 1, 1000);
            if (k == "max_rate_limited_retries")
                return read_uint(v, path, r.max_rate_limited_retries, 0, 100);
            if (k == "backoff_ms") return read_uint(v, path, r.backoff_ms, 1, 600000);
            if (k == "max_backoff_ms") return read_uint(v, path, r.max_backoff_ms, 1, 600000);
            if (k == "timeout_ms") return read_uint(v, path, r.timeout_ms, 100, 600000);
            if (k == "connect_timeout_ms")
                return read_uint(v, path, r.connect_timeout_ms, 100, 60000);
            if (k == "current_calls_path") return read_string(v, path, r.current_calls_path);
            if (k == "call_details_path") return read_string(v, path, r.call_details_path);
            if (k == "transfer_path") return read_string(v, path, r.transfer_path);
            if (k == "transfer_number_field") return read_string(v, path, r.transfer_number_field);
            if (k == "dtmf_path") return read_string(v, path, r.dtmf_path);
            if (k == "dtmf_field") return read_string(v, path, r.dtmf_field);
            if (k == "toggle_path") return read_string(v, path, r.toggle_path);
            if (k == "hangup_path") return read_string(v, path, r.hangup_path);
            return bad("config " + path + ": unknown key");
        });
}

// The value of --log-level / "log_level".
Status set_log_level(std::string_view where, std::string_view text, HostOptions& o) {
    const auto level = parse_log_level(text);
    if (!level)
        return bad(std::string(where) + ": expected debug|info|warn|error, got '" +
                   std::string(text) + "'");
    o.server.min_level = *level;
    return {};
}

Status set_listen(std::string_view where, std::string_view text, HostOptions& o) {
    if (auto s = parse_listen(text, o.server.host, o.server.port); !s)
        return bad(std::string(where) + ": " + s.error().message);
    return {};
}

// The value of --workers / "worker_processes": a count, or auto (one per core).
Status set_worker_processes(std::string_view where, std::string_view text, HostOptions& o) {
    if (text == "auto") {
        o.worker_processes = 0;
        return {};
    }
    unsigned n = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || n < 1 ||
        n > 1024)
        return bad(std::string(where) + ": expected auto or a count within 1..1024, got '" +
                   std::string(text) + "'");
    o.worker_processes = n;
    return {};
}

Status set_public_url(std::string_view where, std::string_view text, HostOptions& o) {
    if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
        return bad(std::string(where) + ": expected an http:// or https:// URL, got '" +
                   std::string(text) + "'");
    o.server.public_url.assign(text);
    return {};
}

}  // namespace

Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return bad("expected HOST:PORT, got '" + std::string(text) + "'");
    std::string_view h = text.substr(0, colon);
    const std::string_view p = text.substr(colon + 1);
    if (!h.empty() && h.front() == '[') {
        if (h.size() < 3 || h.back() != ']')
            return bad("bad IPv6 literal in '" + std::string(text) + "'");
        h = h.substr(1, h.size() - 2);
    } else if (h.find(':') != std::string_view::npos) {
        return bad("write IPv6 addresses in brackets, like [::1]:8765");
    }
    unsigned value = 0;
    const auto r = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || value > 65535)
        return bad("bad port '" + std::string(p) + "' (expected 0..65535)");
    if (h.empty() || h == "localhost") h = "127.0.0.1";
    // The server binds an address, not a name: resolving here would hide which one.
    in6_addr scratch{};
    const std::string text_host(h);
    if (inet_pton(AF_INET, text_host.c_str(), &scratch) != 1 &&
        inet_pton(AF_INET6, text_host.c_str(), &scratch) != 1)
        return bad("host '" + text_host + "' is not an IP address (or localhost)");
    host = text_host;
    port = static_cast<std::uint16_t>(value);
    return {};
}

Status apply_config_json(std::string_view json, HostOptions& o) {
    const simdjson::padded_string padded(json);
    {
        // On-demand parsing validates only what it reads: check the whole text first.
        simdjson::dom::parser validator;
        simdjson::dom::element ignored;
        if (const auto e = validator.parse(padded).get(ignored))
            return bad(std::string("config: not valid JSON (") + simdjson::error_message(e) + ")");
    }
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return bad("config: not JSON");
    object root;
    if (doc.get_object().get(root)) return bad("config $: expected a JSON object");
    ServerConfig& sc = o.server;
    return for_each_member(
        root, "$", [&](std::string_view k, const std::string& path, value v) -> Status {
            Status s;
            std::string text;
            if (k == "listen") {
                s = read_string(v, path, text);
                if (s) s = set_listen("config " + path, text, o);
            } else if (k == "dialog") {
                s = read_string(v, path, o.dialog_path);
            } else if (k == "stt") {
                s = read_string(v, path, o.stt);
                if (s) s = check_choice("config " + path, o.stt, {"local", "openai", "deepgram"});
            } else if (k == "llm") {
                s = read_string(v, path, o.llm);
                if (s) s = check_choice("config " + path, o.llm, {"scripted", "openai"});
            } else if (k == "tts") {
                s = read_string(v, path, o.tts);
                if (s) s = check_choice("config " + path, o.tts, {"local", "openai", "elevenlabs"});
            } else if (k == "voice") {
                s = read_string(v, path, o.voice);
                if (s) s = check_choice("config " + path, o.voice, {"slt", "kal"});
            } else if (k == "public_url") {
                s = read_string(v, path, text);
                if (s) s = set_public_url("config " + path, text, o);
            } else if (k == "log_level") {
                s = read_string(v, path, text);
                if (s) s = set_log_level("config " + path, text, o);
            } else if (k == "ws_path") {
                s = read_string(v, path, sc.ws_path);
            } else if (k == "webhook_path") {
                s = read_string(v, path, sc.webhook_path);
            } else if (k == "recording_dir") {
                s = read_string(v, path, sc.recording_dir);
            } else if (k == "max_calls") {
                s = read_uint(v, path, sc.max_calls, 1, 100000);
            } else if (k == "max_message_bytes") {
                s = read_uint(v, path, sc.max_message_bytes, 1024, kMaxSize);
            } else if (k == "max_body_bytes") {
                s = read_uint(v, path, sc.max_body_bytes, 1024, kMaxSize);
            } else if (k == "max_header_bytes") {
                s = read_uint(v, path, sc.max_header_bytes, 1024, 65535);
            } else if (k == "ping_interval_s") {
                s = read_uint(v, path, sc.ping_interval_s, 1, 65535);
            } else if (k == "idle_timeout_s") {
                s = read_uint(v, path, sc.idle_timeout_s, 2, 65535);
            } else if (k == "http_timeout_s") {
                s = read_uint(v, path, sc.http_timeout_s, 1, 3600);
            } else if (k == "drain_timeout_s") {
                s = read_double(v, path, sc.drain_timeout_s, 0, 86400);
            } else if (k == "link_window_s") {
                s = read_double(v, path, sc.link_window_s, 0, 86400);
            } else if (k == "permessage_deflate") {
                s = read_bool(v, path, sc.permessage_deflate);
            } else if (k == "redis_url") {  // README §Several instances
                s = read_string(v, path, sc.directory.redis_url);
            } else if (k == "instance_id") {
                s = read_string(v, path, sc.directory.instance_id);
            } else if (k == "redis_key_prefix") {
                s = read_string(v, path, sc.directory.key_prefix);
            } else if (k == "redis_heartbeat_s") {
                s = read_double(v, path, sc.directory.heartbeat_s, 0.05, 60);
            } else if (k == "redis_instance_ttl_s") {
                s = read_double(v, path, sc.directory.instance_ttl_s, 0.1, 600);
            } else if (k == "redis_reaper_s") {
                s = read_double(v, path, sc.directory.reaper_s, 0.05, 600);
            } else if (k == "redis_timeout_s") {
                s = read_double(v, path, sc.directory.redis_timeout_s, 0.01, 60);
            } else if (k == "redis_pending_ttl_s") {
                s = read_double(v, path, sc.directory.pending_ttl_s, 1, 86400);
            } else if (k == "redis_dedup_ttl_s") {
                s = read_double(v, path, sc.directory.dedup_ttl_s, 1, 604800);
            } else if (k == "workers") {
                s = read_uint(v, path, o.workers, 1, 64);
            } else if (k == "worker_processes") {
                // A count, or "auto".
                json_type t{};
                if (v.type().get(t)) return bad("config " + path + ": bad value");
                if (t == json_type::number) {
                    unsigned n = 0;
                    s = read_uint(v, path, n, 1, 1024);
                    if (s) o.worker_processes = n;
                } else {
                    s = read_string(v, path, text);
                    if (s) s = set_worker_processes("config " + path, text, o);
                }
            } else if (k == "webhook_keys") {
                object obj;
                if (v.get_object().get(obj)) return bad("config " + path + ": expected an object");
                s = apply_webhook_keys(obj, path, sc.webhook);
            } else if (k == "webhook") {
                object obj;
                if (v.get_object().get(obj)) return bad("config " + path + ": expected an object");
                s = apply_webhook(obj, path, o);
            } else if (k == "call") {
                object obj;
                if (v.get_object().get(obj)) return bad("config " + path + ": expected an object");
                s = apply_call(obj, path, sc.call);
            } else if (k == "ringover") {
                object obj;
                if (v.get_object().get(obj)) return bad("config " + path + ": expected an object");
                s = apply_ringover(obj, path, o);
            } else if (k == "openai" || k == "deepgram" || k == "elevenlabs" || k == "cloud") {
                object obj;
                if (v.get_object().get(obj)) return bad("config " + path + ": expected an object");
                s = k == "openai"       ? apply_openai(obj, path, o)
                    : k == "deepgram"   ? apply_deepgram(obj, path, o.deepgram)
                    : k == "elevenlabs" ? apply_elevenlabs(obj, path, o.elevenlabs)
                                        : apply_cloud(obj, path, o);
            } else {
                return bad("config " + path + ": unknown key");
            }
            return s;
        });
}

// The cloud providers' keys, base URLs (over the config's), CA file and proxy, and the
// checks that need them: a chosen cloud provider without its key is a usage error (except an
// OpenAI-compatible server at a base URL of its own, which may need none: Ollama, llama.cpp).
template <class Secret>
Status apply_cloud_env(const Secret& secret, HostOptions& o) {
    if (auto k = secret("OPENAI_API_KEY"))
        o.openai_llm.api_key = o.openai_stt.api_key = o.openai_tts.api_key = *k;
    if (auto u = secret("OPENAI_BASE_URL"))
        o.openai_llm.base_url = o.openai_stt.base_url = o.openai_tts.base_url = *u;
    if (auto k = secret("DEEPGRAM_API_KEY")) o.deepgram.api_key = *k;
    if (auto u = secret("DEEPGRAM_BASE_URL")) o.deepgram.base_url = *u;
    if (auto k = secret("ELEVENLABS_API_KEY")) o.elevenlabs.api_key = *k;
    if (auto u = secret("ELEVENLABS_BASE_URL")) o.elevenlabs.base_url = *u;
    if (auto k = secret("RINGOVER_API_KEY")) o.ringover.api_key = *k;
    if (auto u = secret("RINGOVER_BASE_URL")) o.ringover.base_url = *u;
    if (auto f = secret("RINGOVERBOT_CA_FILE")) o.cloud.ca_file = *f;
    if (auto p = secret("HTTPS_PROXY"))
        o.cloud.https_proxy = *p;
    else if (auto q = secret("https_proxy"))
        o.cloud.https_proxy = *q;
    std::string no_proxy;
    if (auto n = secret("NO_PROXY"))
        no_proxy = *n;
    else if (auto m = secret("no_proxy"))
        no_proxy = *m;
    for (std::size_t i = 0; i <= no_proxy.size();) {
        std::size_t j = no_proxy.find(',', i);
        if (j == std::string::npos) j = no_proxy.size();
        std::string item = no_proxy.substr(i, j - i);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) o.cloud.no_proxy.push_back(item);
        i = j + 1;
    }

    const bool openai_used = o.llm == "openai" || o.stt == "openai" || o.tts == "openai";
    if (openai_used && o.openai_llm.api_key.empty() &&
        o.openai_llm.base_url == providers::OpenAiLlmOptions{}.base_url)
        return bad("OPENAI_API_KEY is not set (needed by --" +
                   std::string(o.llm == "openai"   ? "llm"
                               : o.stt == "openai" ? "stt"
                                                   : "tts") +
                   " openai with the public OpenAI API)");
    if (o.stt == "deepgram" && o.deepgram.api_key.empty())
        return bad("DEEPGRAM_API_KEY is not set (needed by --stt deepgram)");
    if (o.tts == "elevenlabs" && o.elevenlabs.api_key.empty())
        return bad("ELEVENLABS_API_KEY is not set (needed by --tts elevenlabs)");
    return {};
}

Result<HostOptions> parse_host_options(std::span<const std::string_view> args, const EnvLookup& env,
                                       const FileReader& read_file) {
    HostOptions o;
    o.server.port = 8765;
    o.server.host = "127.0.0.1";

    // Flags are "--name value" or "--name=value".
    struct Flag {
        std::string_view name, value;
        bool has_value;
    };
    std::vector<Flag> flags;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a.rfind("--", 0) != 0 || a.size() == 2)
            return bad("unexpected argument '" + std::string(a) + "' (see --help)");
        Flag f{a, {}, false};
        if (const auto eq = a.find('='); eq != std::string_view::npos) {
            f.name = a.substr(0, eq);
            f.value = a.substr(eq + 1);
            f.has_value = true;
        }
        static constexpr std::string_view kKnown[] = {
            "--listen",     "--config",    "--dialog",  "--stt",  "--llm",    "--tts",
            "--public-url", "--log-level", "--version", "--help", "--workers"};
        bool known = false;
        for (auto k : kKnown) known = known || k == f.name;
        if (!known) return bad("unknown option " + std::string(f.name) + " (see --help)");
        const bool takes_value = f.name != "--help" && f.name != "--version";
        if (takes_value && !f.has_value) {
            if (i + 1 >= args.size()) return bad(std::string(f.name) + ": needs a value");
            f.value = args[++i];
            f.has_value = true;
        } else if (!takes_value && f.has_value) {
            return bad(std::string(f.name) + ": takes no value");
        }
        flags.push_back(f);
    }
    for (const Flag& f : flags) {
        if (f.name == "--help") o.help = true;
        if (f.name == "--version") o.version = true;
    }
    if (o.help || o.version) return o;

    // The config file first, then the flags over it.
    for (const Flag& f : flags) {
        if (f.name != "--config") continue;
        o.config_path.assign(f.value);
        auto text = read_file(o.config_path);
        if (!text) return bad("--config " + o.config_path + ": " + text.error().message);
        if (auto s = apply_config_json(*text, o); !s)
            return bad(o.config_path + ": " + s.error().message);
    }
    for (const Flag& f : flags) {
        Status s;
        if (f.name == "--listen")
            s = set_listen("--listen", f.value, o);
        else if (f.name == "--dialog")
            o.dialog_path.assign(f.value);
        else if (f.name == "--stt") {
            s = check_choice("--stt", f.value, {"local", "openai", "deepgram"});
            if (s) o.stt.assign(f.value);
        } else if (f.name == "--llm") {
            s = check_choice("--llm", f.value, {"scripted", "openai"});
            if (s) o.llm.assign(f.value);
        } else if (f.name == "--tts") {
            s = check_choice("--tts", f.value, {"local", "openai", "elevenlabs"});
            if (s) o.tts.assign(f.value);
        } else if (f.name == "--public-url")
            s = set_public_url("--public-url", f.value, o);
        else if (f.name == "--log-level")
            s = set_log_level("--log-level", f.value, o);
        else if (f.name == "--workers")
            s = set_worker_processes("--workers", f.value, o);
        if (!s) return s.error();
        if (f.name == "--dialog" && f.value.empty()) return bad("--dialog: empty path");
    }

    // Secrets come from the environment (an empty variable counts as unset).
    auto secret = [&](std::string_view name) -> std::optional<std::string> {
        auto v = env(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    };
    if (auto k = secret("RINGOVER_WEBHOOK_KEY")) o.server.webhook.call_events_key = *k;
    if (auto t = secret("RINGOVERBOT_STREAM_TOKEN")) o.server.stream_token = *t;
    if (auto t = secret("RINGOVERBOT_IVR_TOKEN")) o.server.webhook.ivr_token = *t;
    if (auto s = apply_cloud_env(secret, o); !s) return s.error();

    if (auto s = validate_config(o.server); !s)
        return bad((o.config_path.empty() ? "" : o.config_path + ": ") + s.error().message);
    return o;
}

std::string_view host_usage() noexcept {
    return R"(usage: ringoverbot-agent [--listen HOST:PORT] [--config FILE] [--dialog FILE]
                         [--stt local|openai|deepgram] [--llm scripted|openai]
                         [--tts local|openai|elevenlabs] [--public-url URL]
                         [--log-level debug|info|warn|error] [--workers N|auto]
                         [--version] [--help]

The whole voice agent as one process: the Ringover streamer WebSocket (/ws), the webhook
endpoint (POST /webhooks/ringover), /health and /metrics on one port.

  --listen HOST:PORT   address to serve on (default 127.0.0.1:8765; port 0 = any free port)
  --config FILE        JSON settings (examples/ringoverbot-agent.md lists them); flags win
  --dialog FILE        the scripted dialog (default: the bundled demo dialog)
  --stt, --llm, --tts  the engines (default: local, scripted, local: no API key needed)
  --public-url URL     the base URL Ringover calls (webhook JWTs are checked against
                       URL + webhook path; default http://HOST:PORT)
  --log-level LEVEL    JSON log lines on stderr at this level and above (default info)
  --workers N|auto     N processes serve the port (SO_REUSEPORT) under a supervisor that
                       restarts a dead one and drains them all on SIGTERM; auto = one per
                       core; default 1 (this process alone)

Environment: RINGOVER_WEBHOOK_KEY (call events key), RINGOVERBOT_STREAM_TOKEN (required on
the streamer socket as ?token= or Authorization: Bearer), RINGOVERBOT_IVR_TOKEN, OPENAI_API_KEY,
OPENAI_BASE_URL, RINGOVER_API_KEY and RINGOVER_BASE_URL (Ringover's REST API: the bot's
end_call hangs up through it, an unanswered transfer falls back to it), DEEPGRAM_API_KEY, DEEPGRAM_BASE_URL, ELEVENLABS_API_KEY, ELEVENLABS_BASE_URL
(any OpenAI-compatible server: Ollama, llama.cpp, vLLM; http:// and ws:// work too),
RINGOVERBOT_CA_FILE (an extra CA to trust), HTTPS_PROXY and NO_PROXY.

Exit status: 0 after SIGINT/SIGTERM (live calls drained), 1 on a runtime failure (port in
use), 2 on bad flags or config.
)";
}

}  // namespace ringoverbot::agenthost
