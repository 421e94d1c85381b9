#include "net/server/metrics.hpp"

#include <cmath>

#include "common/json_writer.hpp"

namespace ringoverbot::net {

std::string_view stage_name(Stage s) noexcept {
    switch (s) {
        case Stage::stt:
            return "stt";
        case Stage::llm:
            return "llm_first_token";
        case Stage::tts:
            return "tts_first_audio";
        case Stage::send:
            return "first_frame";
        case Stage::total:
            return "total";
    }
    return "unknown";
}

std::string_view refusal_name(Refusal r) noexcept {
    switch (r) {
        case Refusal::not_found:
            return "not_found";
        case Refusal::bad_token:
            return "bad_token";
        case Refusal::max_calls:
            return "max_calls";
        case Refusal::draining:
            return "draining";
        case Refusal::failed:
            return "failed";
    }
    return "unknown";
}

TurnLatency turn_latency(const agent::TurnMetrics& t) noexcept {
    TurnLatency out;
    auto span = [](std::int64_t from, std::int64_t to) -> std::optional<double> {
        if (from < 0 || to < 0 || to < from) return std::nullopt;
        return static_cast<double>(to - from) / 1e6;
    };
    out.seconds[static_cast<std::size_t>(Stage::stt)] = span(t.speech_end_us, t.stt_final_us);
    // A DTMF turn has no transcript: the LLM stage then starts at the key press.
    const std::int64_t llm_from = t.stt_final_us >= 0 ? t.stt_final_us : t.speech_end_us;
    out.seconds[static_cast<std::size_t>(Stage::llm)] = span(llm_from, t.first_token_us);
    out.seconds[static_cast<std::size_t>(Stage::tts)] = span(t.first_token_us, t.first_audio_us);
    out.seconds[static_cast<std::size_t>(Stage::send)] = span(t.first_audio_us, t.first_frame_us);
    out.seconds[static_cast<std::size_t>(Stage::total)] = span(t.speech_end_us, t.first_frame_us);
    return out;
}

void Histogram::observe(double seconds) noexcept {
    if (!(seconds >= 0)) return;  // NaN or negative: not an observation
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    if (i < kBounds.size()) buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    const double us = std::round(seconds * 1e6);
    sum_us_.fetch_add(us < 1.8e19 ? static_cast<std::uint64_t>(us) : 0, std::memory_order_relaxed);
}

double Histogram::sum_seconds() const noexcept {
    return static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
}

std::uint64_t Histogram::cumulative(std::size_t i) const noexcept {
    std::uint64_t n = 0;
    for (std::size_t k = 0; k <= i && k < buckets_.size(); ++k)
        n += buckets_[k].load(std::memory_order_relaxed);
    return n;
}

void Histogram::add_from(const Histogram& other) noexcept {
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        buckets_[i].fetch_add(other.buckets_[i].load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
    count_.fetch_add(other.count(), std::memory_order_relaxed);
    sum_us_.fetch_add(other.sum_us_.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void Metrics::add_from(const Metrics& o) noexcept {
    auto both = [](Counter& to, const Counter& from) { add(to, get(from)); };
    both(calls_active, o.calls_active);
    both(calls_total, o.calls_total);
    for (std::size_t i = 0; i < refused.size(); ++i) both(refused[i], o.refused[i]);
    both(frames_in, o.frames_in);
    both(frames_out, o.frames_out);
    both(bytes_in, o.bytes_in);
    both(bytes_out, o.bytes_out);
    both(protocol_errors, o.protocol_errors);
    both(oversized_messages, o.oversized_messages);
    for (std::size_t i = 0; i < webhooks.size(); ++i) both(webhooks[i], o.webhooks[i]);
    both(webhook_hangups_applied, o.webhook_hangups_applied);
    both(turns, o.turns);
    both(barge_ins, o.barge_ins);
    both(fallbacks, o.fallbacks);
    both(timeouts, o.timeouts);
    both(dtmf_in, o.dtmf_in);
    both(misheard, o.misheard);
    both(confirmations, o.confirmations);
    both(confirmed, o.confirmed);
    both(cancelled_actions, o.cancelled_actions);
    both(misunderstood_offers, o.misunderstood_offers);
    both(recordings, o.recordings);
    both(recording_failures, o.recording_failures);
    both(echo_cancelled_frames, o.echo_cancelled_frames);
    both(interruptions, o.interruptions);
    both(false_interruptions, o.false_interruptions);
    both(resumes, o.resumes);
    both(reprompts, o.reprompts);
    both(idle_hangups, o.idle_hangups);
    both(dtmf_inband, o.dtmf_inband);
    both(speculations_kept, o.speculations_kept);
    both(speculations_cancelled, o.speculations_cancelled);
    // directory_up sums to the number of the group's workers that reach Redis.
    both(directory_enabled, o.directory_enabled);
    both(directory_up, o.directory_up);
    both(directory_outages, o.directory_outages);
    both(directory_commands, o.directory_commands);
    both(directory_inbox_applied, o.directory_inbox_applied);
    both(directory_parked_applied, o.directory_parked_applied);
    both(calls_orphaned, o.calls_orphaned);
    for (std::size_t i = 0; i < directory_routes.size(); ++i)
        both(directory_routes[i], o.directory_routes[i]);
    for (std::size_t i = 0; i < provider_errors.size(); ++i)
        both(provider_errors[i], o.provider_errors[i]);
    for (std::size_t i = 0; i < stages.size(); ++i) stages[i].add_from(o.stages[i]);
}

void Metrics::webhook(webhook::Reason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    if (i < webhooks.size()) add(webhooks[i]);
}

void Metrics::observe_turn(const TurnLatency& latency) noexcept {
    add(turns);
    for (std::size_t s = 0; s < kStageCount; ++s)
        if (latency.seconds[s]) stages[s].observe(*latency.seconds[s]);
}

void Metrics::add_call_delta(const agent::CallStats& b, const agent::CallStats& n) noexcept {
    auto d = [](std::uint64_t before, std::uint64_t now) {
        return now > before ? now - before : 0;
    };
    add(protocol_errors, d(b.protocol_errors, n.protocol_errors));
    add(barge_ins, d(b.barge_ins, n.barge_ins));
    add(fallbacks, d(b.fallbacks, n.fallbacks));
    add(timeouts, d(b.timeouts, n.timeouts));
    add(dtmf_in, d(b.dtmf_in, n.dtmf_in));
    add(misheard, d(b.misheard, n.misheard));
    add(confirmations, d(b.confirmations, n.confirmations));
    add(confirmed, d(b.confirmed, n.confirmed));
    add(cancelled_actions, d(b.cancelled_actions, n.cancelled_actions));
    add(misunderstood_offers, d(b.misunderstood_offers, n.misunderstood_offers));
    add(echo_cancelled_frames, d(b.echo_cancelled_frames, n.echo_cancelled_frames));
    add(interruptions, d(b.interruptions, n.interruptions));
    add(false_interruptions, d(b.false_interruptions, n.false_interruptions));
    add(resumes, d(b.resumes, n.resumes));
    add(reprompts, d(b.reprompts, n.reprompts));
    add(idle_hangups, d(b.idle_hangups, n.idle_hangups));
    add(dtmf_inband, d(b.dtmf_inband, n.dtmf_inband));
    add(speculations_kept, d(b.speculations_kept, n.speculations_kept));
    add(speculations_cancelled, d(b.speculations_cancelled, n.speculations_cancelled));
    add(provider_errors[0], d(b.stt_errors, n.stt_errors));
    add(provider_errors[1], d(b.llm_errors, n.llm_errors));
    add(provider_errors[2], d(b.tts_errors, n.tts_errors));
}

ServerStats Metrics::snapshot(bool draining) const noexcept {
    ServerStats s;
    s.calls_active = get(calls_active);
    s.calls_total = get(calls_total);
    for (const auto& r : refused) s.calls_refused += get(r);
    s.frames_in = get(frames_in);
    s.frames_out = get(frames_out);
    s.bytes_in = get(bytes_in);
    s.bytes_out = get(bytes_out);
    s.protocol_errors = get(protocol_errors);
    s.webhooks_accepted = get(webhooks[0]);
    // A duplicate delivery is acknowledged, neither accepted again nor rejected.
    for (std::size_t i = 1; i < webhooks.size(); ++i)
        if (i != static_cast<std::size_t>(webhook::Reason::duplicate))
            s.webhooks_rejected += get(webhooks[i]);
    s.turns = get(turns);
    s.barge_ins = get(barge_ins);
    for (const auto& p : provider_errors) s.provider_errors += get(p);
    s.draining = draining;
    s.calls_orphaned = get(calls_orphaned);
    s.directory_up = get(directory_up) != 0;
    return s;
}

namespace {

class Page {
  public:
    explicit Page(std::string& out) : out_(out) {}
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    }
    void sample(std::string_view name, std::string_view labels, std::uint64_t v) {
        head(name, labels);
        json::append_uint(out_, v);
        out_.push_back('\n');
    }
    void sample(std::string_view name, std::string_view labels, double v) {
        head(name, labels);
        json::append_double(out_, v);
        out_.push_back('\n');
    }
    void counter(std::string_view name, std::string_view help, std::uint64_t v) {
        family(name, "counter", help);
        sample(name, {}, v);
    }
    void gauge(std::string_view name, std::string_view help, std::uint64_t v) {
        family(name, "gauge", help);
        sample(name, {}, v);
    }

  private:
    void head(std::string_view name, std::string_view labels) {
        out_.append(name);
        if (!labels.empty()) out_.append("{").append(labels).append("}");
        out_.push_back(' ');
    }
    std::string& out_;
};

std::string label(std::string_view key, std::string_view value) {
    std::string s(key);
    s.append("=\"").append(value).append("\"");  // our label values never need escaping
    return s;
}

}  // namespace

std::string Metrics::render(bool draining, std::size_t max_calls,
                            const providers::CloudClient* cloud) const {
    std::string out;
    out.reserve(8192);
    Page p(out);
    p.gauge("ringoverbot_calls_active", "Streamer sockets with a live call.", get(calls_active));
    p.gauge("ringoverbot_calls_max", "The configured maximum of concurrent calls.", max_calls);
    p.gauge("ringoverbot_draining", "1 while the server drains before exiting.", draining ? 1 : 0);
    p.counter("ringoverbot_calls_total", "Calls accepted since start.", get(calls_total));
    p.family("ringoverbot_calls_refused_total", "counter", "Streamer sockets refused, by reason.");
    for (std::size_t i = 0; i < kRefusalCount; ++i)
        p.sample("ringoverbot_calls_refused_total",
                 label("reason", refusal_name(static_cast<Refusal>(i))), get(refused[i]));
    p.counter("ringoverbot_frames_in_total", "WebSocket messages received on streamer sockets.",
              get(frames_in));
    p.counter("ringoverbot_frames_out_total", "WebSocket messages sent on streamer sockets.",
              get(frames_out));
    p.counter("ringoverbot_bytes_in_total", "Payload bytes received on streamer sockets.",
              get(bytes_in));
    p.counter("ringoverbot_bytes_out_total", "Payload bytes sent on streamer sockets.",
              get(bytes_out));
    p.counter("ringoverbot_protocol_errors_total",
              "Inbound messages dropped as malformed or too large (the call goes on).",
              get(protocol_errors));
    p.counter("ringoverbot_oversized_messages_total",
              "Inbound messages over max_message_bytes (also counted as protocol errors).",
              get(oversized_messages));
    p.family("ringoverbot_webhooks_total", "counter", "Webhook requests by verdict.");
    for (std::size_t i = 0; i < kReasonCount; ++i)
        p.sample("ringoverbot_webhooks_total",
                 label("reason", webhook::reason_name(static_cast<webhook::Reason>(i))),
                 get(webhooks[i]));
    p.counter("ringoverbot_webhook_hangups_total", "call/hangup webhooks that ended a live call.",
              get(webhook_hangups_applied));
    p.counter("ringoverbot_recordings_total", "Call recordings finished (recording_dir).",
              get(recordings));
    p.counter("ringoverbot_recording_failures_total",
              "Call recordings stopped by a write failure (the call went on).",
              get(recording_failures));
    p.counter("ringoverbot_turns_total", "Finished caller turns.", get(turns));
    p.counter("ringoverbot_barge_ins_total", "Replies interrupted by the caller.", get(barge_ins));
    p.counter("ringoverbot_fallbacks_total", "Fallback phrases said.", get(fallbacks));
    p.counter("ringoverbot_provider_timeouts_total", "Provider requests past their deadline.",
              get(timeouts));
    p.counter("ringoverbot_dtmf_total", "DTMF keys received.", get(dtmf_in));
    p.counter("ringoverbot_misheard_turns_total",
              "Caller turns answered with the fallback: heard below min_confidence, or speech "
              "without a usable transcript.",
              get(misheard));
    p.counter("ringoverbot_confirmations_total",
              "Confirmation questions asked before an end_call or transfer heard below "
              "action_confidence.",
              get(confirmations));
    p.counter("ringoverbot_confirmed_actions_total", "Actions run after the caller confirmed them.",
              get(confirmed));
    p.counter("ringoverbot_cancelled_actions_total",
              "Actions dropped because the caller did not confirm them.", get(cancelled_actions));
    p.counter("ringoverbot_misunderstood_offers_total",
              "Transfers or goodbyes offered after max_misunderstandings misunderstood turns in a "
              "row.",
              get(misunderstood_offers));
    p.counter("ringoverbot_echo_cancelled_frames_total",
              "20 ms caller frames the echo canceller ran on (the bot was playing, or had within "
              "echo_tail_ms).",
              get(echo_cancelled_frames));
    p.counter("ringoverbot_interruptions_total",
              "Barge-ins that stood: the caller's words cut the reply.", get(interruptions));
    p.counter("ringoverbot_false_interruptions_total",
              "Barge-ins taken back: no words, backchannel words or too few words.",
              get(false_interruptions));
    p.counter("ringoverbot_resumes_total",
              "Replies that went on from the cut word after a false interruption.", get(resumes));
    p.counter("ringoverbot_reprompts_total", "Reprompts said to a caller gone quiet.",
              get(reprompts));
    p.counter("ringoverbot_idle_hangups_total",
              "Calls ended after the last reprompt went unanswered.", get(idle_hangups));
    p.counter("ringoverbot_dtmf_inband_total", "DTMF keys detected in the caller's audio.",
              get(dtmf_inband));
    p.counter("ringoverbot_speculations_kept_total",
              "Speculative LLM requests (started on an interim transcript) kept as the reply.",
              get(speculations_kept));
    p.counter("ringoverbot_speculations_cancelled_total",
              "Speculative LLM requests cancelled (the final transcript differed, the turn was "
              "gated, or the request failed).",
              get(speculations_cancelled));
    p.family("ringoverbot_provider_errors_total", "counter", "Provider failures by kind.");
    static constexpr std::string_view kProviders[] = {"stt", "llm", "tts"};
    for (std::size_t i = 0; i < 3; ++i)
        p.sample("ringoverbot_provider_errors_total", label("provider", kProviders[i]),
                 get(provider_errors[i]));
    if (cloud) {
        p.family("ringoverbot_provider_failures_total", "counter",
                 "Cloud requests failed (retried attempts included), by provider and kind.");
        for (const auto& row : cloud->error_counts())
            p.sample("ringoverbot_provider_failures_total",
                     label("provider", row.provider) + "," + label("kind", row.kind), row.count);
    }
    if (get(directory_enabled) != 0) {
        p.gauge("ringoverbot_directory_up", "1 while the call directory's Redis answers.",
                get(directory_up) != 0 ? 1 : 0);
        p.counter("ringoverbot_directory_outages_total",
                  "Times Redis stopped answering (down, paused or timed out).",
                  get(directory_outages));
        p.counter("ringoverbot_directory_commands_total", "Commands sent to Redis.",
                  get(directory_commands));
        static constexpr std::string_view kOutcomes[] = {"local",     "routed",   "parked",
                                                         "duplicate", "orphaned", "unavailable"};
        p.family("ringoverbot_directory_webhooks_total", "counter",
                 "Call webhooks through the directory, by outcome.");
        for (std::size_t i = 0; i < directory_routes.size(); ++i)
            p.sample("ringoverbot_directory_webhooks_total", label("outcome", kOutcomes[i]),
                     get(directory_routes[i]));
        p.counter("ringoverbot_directory_inbox_events_total",
                  "Events for calls held here, routed from other instances.",
                  get(directory_inbox_applied));
        p.counter("ringoverbot_directory_parked_events_total",
                  "Events parked before their stream opened, applied when it was claimed.",
                  get(directory_parked_applied));
        p.counter("ringoverbot_calls_orphaned_total",
                  "Calls of dead instances this instance's reaper reported.", get(calls_orphaned));
    }

    p.family("ringoverbot_turn_latency_seconds", "histogram",
             "Turn latency by stage: stt = end of speech to final transcript, llm_first_token, "
             "tts_first_audio, first_frame (audio to first streamAudio sent), total = end of "
             "speech to first frame.");
    for (std::size_t s = 0; s < kStageCount; ++s) {
        const Histogram& h = stages[s];
        const std::string stage = label("stage", stage_name(static_cast<Stage>(s)));
        for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
            std::string le;
            json::append_double(le, Histogram::kBounds[i]);
            p.sample("ringoverbot_turn_latency_seconds_bucket", stage + "," + label("le", le),
                     h.cumulative(i));
        }
        const std::uint64_t n = h.count();
        p.sample("ringoverbot_turn_latency_seconds_bucket", stage + ",le=\"+Inf\"", n);
        p.sample("ringoverbot_turn_latency_seconds_sum", stage, h.sum_seconds());
        p.sample("ringoverbot_turn_latency_seconds_count", stage, n);
    }
    return out;
}

}  // namespace ringoverbot::net
