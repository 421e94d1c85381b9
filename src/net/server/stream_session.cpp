// The streamer WebSocket protocol: one agent::Call per connection. Inbound messages are
// reassembled (capped) and fed to the Call; its outputs are written one per WRITEABLE; its
// wake-ups wait in the server's CallDeadlines (one loop timer for all the calls); provider
// results wake it through the WakeQueue.
#include "net/server/stream_session.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "common/json_writer.hpp"
#include "net/server/call_files.hpp"
#include "ringoverbot/recording.hpp"
#include "ringoverbot/timeline.hpp"

namespace ringoverbot::net {

namespace {

// A peer that stops reading while the bot talks: past this much unsent output the call is
// closed instead of buffering without bound.
constexpr std::size_t kMaxOutboxMessages = 2048;
constexpr std::size_t kKeepRxCapacity = 64 * 1024;  // larger buffers are released after use
constexpr int kCloseTryAgainLater = 1013;           // RFC 6455 registry; not in lws' enum

std::string actions_json(const std::vector<providers::Action>& actions) {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& a : actions) {
        w.begin_object().field("kind", providers::action_name(a.kind));
        if (!a.value.empty()) w.field("value", a.value);
        w.end_object();
    }
    w.end_array();
    return out;
}

std::string latency_json(const TurnLatency& lat) {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    for (std::size_t i = 0; i < kStageCount; ++i) {
        w.key(stage_name(static_cast<Stage>(i)));
        if (lat.seconds[i])
            w.number(static_cast<double>(static_cast<std::int64_t>(*lat.seconds[i] * 1e4)) / 10);
        else
            w.null();
    }
    w.end_object();
    return out;
}

std::string call_id_of(const Server::Impl& impl, const Session& s) {
    const auto& md = s.call->metadata();
    if (md.call_id) return *md.call_id;
    return impl.linker.call_of(s.id).value_or("");
}

// A recording's failure stops it, never the call: logged once and counted.
void recording_failed(Server::Impl& impl, Session& s, const Status& st) {
    Metrics::add(impl.metrics.recording_failures);
    LogLine(impl.logger, LogLevel::error, "recording_failed")
        .unum("stream", s.id)
        .str("path", s.recording->path())
        .str("error", st.error().message);
}

// Encodes what the clock has passed; once the call has ended, the rest, and closes the file.
void service_recording(Server::Impl& impl, Session& s, std::int64_t now) {
    if (!s.recording) return;
    std::string call_id = call_id_of(impl, s);
    if (call_id.empty()) call_id = "stream-" + std::to_string(s.id);
    const bool end = s.call->ended();
    const Status st = end ? s.recording->finish(now, call_id) : s.recording->pump(now, call_id);
    if (!st) recording_failed(impl, s, st);
    if (!end) return;
    if (st && !s.recording->path().empty()) {
        // Handed to the encoder: ringoverbot_recordings_total counts it once it is on disk.
        LogLine(impl.logger, LogLevel::info, "recording")
            .unum("stream", s.id)
            .str("path", s.recording->path())
            .real("duration_s", static_cast<double>(s.recording->frames_written()) /
                                    std::max<std::uint32_t>(s.recording->rate_hz(), 1));
    }
    s.call->set_audio_tap(nullptr);
    s.recording.reset();
}

void log_finished_turns(Server::Impl& impl, Session& s) {
    agent::TurnMetrics t;
    while (s.call->next_finished_turn(t)) {
        const TurnLatency lat = turn_latency(t);
        impl.metrics.observe_turn(lat);
        LogLine line(impl.logger, LogLevel::info, "turn");
        if (!line.active()) continue;
        line.unum("stream", s.id)
            .str("call_id", call_id_of(impl, s))
            .unum("turn", t.index)
            .str("transcript", t.caller_text)
            .str("reply", t.bot_text)
            .str("heard", t.heard_text)
            .flag("interrupted", t.interrupted)
            .flag("failed", t.failed)
            .flag("misheard", t.misheard)
            .flag("confirmation", t.confirmation)
            .unum("resumes", t.resumes)
            .flag("reprompt", t.reprompt)
            .flag("speculative", t.speculative);
        // The transcript's confidence, null when its STT gives none.
        if (t.confidence >= 0)
            line.real("confidence", t.confidence);
        else
            line.raw("confidence", "null");
        line.raw("actions", actions_json(t.actions)).raw("latency_ms", latency_json(lat));
    }
}

void sync_stats(Server::Impl& impl, Session& s) {
    const agent::CallStats& now = s.call->stats();
    impl.metrics.add_call_delta(s.seen, now);
    s.seen = now;
}

// Links the stream to its call's webhooks once its metadata came. Returns true when a
// call/hangup for that call came before the stream did: the call is over already.
bool link_metadata(Server::Impl& impl, Session& s) {
    if (s.linked) return false;
    const streamer::Metadata& md = s.call->metadata();
    if (md.raw.empty() && !md.call_id && !md.from_number && !md.to_number) return false;
    s.linked = true;
    const agent::CallRecord* rec = impl.linker.link_stream(s.id, md, impl.mono_s());
    const std::string call_id = md.call_id.value_or(rec != nullptr ? rec->call_id : "");
    const bool hung_up = rec != nullptr && rec->last_event == "hangup";
    LogLine(impl.logger, LogLevel::info, "call_metadata")
        .unum("stream", s.id)
        .str("call_id", call_id)
        .str("from", md.from_number.value_or(""))
        .str("to", md.to_number.value_or(""))
        .flag("webhook_seen", rec != nullptr && !rec->last_event.empty())
        .flag("hung_up_before", hung_up);
    if (impl.directory && !call_id.empty()) {
        s.claimed_call = call_id;
        impl.directory->claim(call_id);
    }
    return hung_up;
}

void arm_timer(Server::Impl& impl, Session& s, std::int64_t now) {
    impl.call_deadlines.set(s.id, std::min(s.call->next_wakeup_us(), control_wakeup(s)));
    impl.arm_call_timer(now);
}

void set_close_reason(lws* wsi, int status, std::string_view reason) {
    // A close frame's payload is at most 125 bytes: 2 for the code, 123 for the text.
    const std::size_t n = std::min<std::size_t>(reason.size(), 123);
    std::string text(reason.substr(0, n));
    lws_close_reason(wsi, static_cast<lws_close_status>(status),
                     reinterpret_cast<unsigned char*>(text.data()), n);
}

int on_established(Server::Impl& impl, lws* wsi, Session** slot) {
    const std::int64_t now = Server::Impl::now_us();
    // CONFIRM_UPGRADE checked these already; this guards the same loop turn admitting two.
    if (impl.sessions.size() >= impl.config.max_calls || impl.draining.load()) {
        impl.metrics.refuse(impl.draining.load() ? Refusal::draining : Refusal::max_calls);
        set_close_reason(wsi, kCloseTryAgainLater, impl.draining.load() ? "draining" : "max_calls");
        return -1;
    }
    const StreamId id = impl.next_stream++;
    agent::Waker waker = [queue = impl.wakes, id] { queue->wake(id); };
    auto call = agent::Call::create(impl.call_config, impl.providers, std::move(waker));
    if (!call) {
        impl.metrics.refuse(Refusal::failed);
        LogLine(impl.logger, LogLevel::error, "call_failed")
            .unum("stream", id)
            .str("error", call.error().message);
        set_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "call setup failed");
        return -1;
    }
    auto session = std::make_unique<Session>();
    Session& s = *session;
    s.id = id;
    s.wsi = wsi;
    s.call = std::move(call.value());
    s.opened_us = now;
    s.opened_unix_s = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    if (!impl.config.recording_dir.empty()) {
        s.recording = std::make_shared<CallRecording>(
            impl.config.recording_dir, now, s.opened_unix_s, impl.recording_encoder.get(), id);
        s.call->set_audio_tap(s.recording);
    }
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof peer);
    s.peer = peer;
    s.rx.reserve(1024);
    *slot = &s;
    impl.sessions.emplace(id, std::move(session));
    Metrics::add(impl.metrics.calls_active);
    Metrics::add(impl.metrics.calls_total);
    LogLine(impl.logger, LogLevel::info, "call_start")
        .unum("stream", id)
        .str("peer", s.peer)
        .unum("calls", impl.sessions.size());
    service_session(impl, s, now);
    return 0;
}

void on_receive(Server::Impl& impl, Session& s, const void* in, std::size_t len) {
    if (!s.rx_too_large) {
        if (s.rx.size() + len > impl.config.max_message_bytes) {
            s.rx_too_large = true;
            s.rx.clear();
        } else {
            const auto* p = static_cast<const std::uint8_t*>(in);
            s.rx.insert(s.rx.end(), p, p + len);
        }
    }
    if (!lws_is_final_fragment(s.wsi) || lws_remaining_packet_payload(s.wsi) != 0) return;

    const std::int64_t now = Server::Impl::now_us();
    if (s.rx_too_large) {
        // Dropped like any malformed message: counted, logged, the call goes on.
        s.rx_too_large = false;
        Metrics::add(impl.metrics.protocol_errors);
        Metrics::add(impl.metrics.oversized_messages);
        LogLine(impl.logger, LogLevel::warn, "message_too_large")
            .unum("stream", s.id)
            .unum("max_message_bytes", impl.config.max_message_bytes);
    } else {
        Metrics::add(impl.metrics.frames_in);
        Metrics::add(impl.metrics.bytes_in, s.rx.size());
        const bool binary = lws_frame_is_binary(s.wsi) != 0;
        s.call->on_message(s.rx, binary, now);
    }
    s.rx.clear();
    if (s.rx.capacity() > kKeepRxCapacity) s.rx.shrink_to_fit();
    service_session(impl, s, now);
}

int on_writeable(Server::Impl& impl, Session& s) {
    if (s.close_now) {
        set_close_reason(s.wsi, s.close_status, s.close_reason);
        return -1;
    }
    if (s.outbox.empty()) {
        if (!s.closing) return 0;
        set_close_reason(s.wsi, s.close_status, s.close_reason);
        return -1;
    }
    agent::Output& o = s.outbox.front();
    if (o.kind == agent::OutputKind::close) {
        set_close_reason(s.wsi, LWS_CLOSE_STATUS_NORMAL, o.data);
        s.outbox.clear();
        return -1;
    }
    const std::size_t n = o.data.size();
    s.tx.resize(LWS_PRE + n);
    std::memcpy(s.tx.data() + LWS_PRE, o.data.data(), n);
    s.outbox.pop_front();
    if (lws_write(s.wsi, s.tx.data() + LWS_PRE, n, LWS_WRITE_TEXT) < static_cast<int>(n)) {
        LogLine(impl.logger, LogLevel::warn, "write_failed").unum("stream", s.id);
        return -1;
    }
    if (s.tx.capacity() > kKeepRxCapacity) {
        s.tx.clear();
        s.tx.shrink_to_fit();
    }
    Metrics::add(impl.metrics.frames_out);
    Metrics::add(impl.metrics.bytes_out, n);
    if (!s.outbox.empty() || s.closing) lws_callback_on_writable(s.wsi);
    return 0;
}

// The call's timeline beside its recording. A failing disk costs the picture, never the call.
void write_timeline(Server::Impl& impl, const Session& s, std::int64_t now) {
    const std::string& dir = impl.config.recording_dir;
    if (dir.empty()) return;
    const std::string name = recording::file_stem(call_id_of(impl, s), s.opened_unix_s) + ".svg";
    agent::CallTimeline timeline = agent::call_timeline(*s.call, s.opened_us, now);
    if (timeline.title.empty()) timeline.title = call_id_of(impl, s);
    if (auto st = write_call_file(dir, name, agent::render_timeline_svg(timeline)); !st)
        LogLine(impl.logger, LogLevel::warn, "timeline_failed")
            .unum("stream", s.id)
            .str("error", st.error().message);
}

void on_closed(Server::Impl& impl, Session* s) {
    const std::int64_t now = Server::Impl::now_us();
    if (!s->call->ended()) s->call->on_closed(s->close_now ? "shutdown" : "close", now);
    service_recording(impl, *s, now);
    log_finished_turns(impl, *s);
    sync_stats(impl, *s);
    const agent::CallStats& st = s->call->stats();
    LogLine(impl.logger, LogLevel::info, "call_end")
        .unum("stream", s->id)
        .str("call_id", call_id_of(impl, *s))
        .str("reason", s->call->end_reason())
        .real("duration_s", static_cast<double>((now - s->opened_us) / 1000) / 1000)
        .unum("turns", st.turns)
        .unum("messages_in", st.messages_in)
        .unum("messages_out", st.messages_out)
        .unum("protocol_errors", st.protocol_errors)
        .unum("barge_ins", st.barge_ins);
    write_timeline(impl, *s, now);
    impl.metrics.calls_active.fetch_sub(1, std::memory_order_relaxed);
    impl.linker.on_stream_end(s->id);
    if (impl.directory && !s->claimed_call.empty()) impl.directory->release(s->claimed_call);
    impl.call_deadlines.remove(s->id);
    impl.sessions.erase(s->id);  // destroys the Call: its requests are cancelled
}

}  // namespace

void service_session(Server::Impl& impl, Session& s, std::int64_t now) {
    agent::Call& call = *s.call;
    // A call/hangup parked before the stream opened ends the call now (it was logged and
    // ignored before: the stream was greeted and stayed open until the drain timeout).
    if (link_metadata(impl, s) && !call.ended()) {
        call.on_closed("hangup", now);
        Metrics::add(impl.metrics.webhook_hangups_applied);
    }
    call.poll(now);
    bool write = false;
    agent::Output o;
    while (call.next_output(o)) {
        s.outbox.push_back(std::move(o));
        o = agent::Output{};
        write = true;
    }
    log_finished_turns(impl, s);
    sync_stats(impl, s);
    control_call(impl, s, now);
    service_recording(impl, s, now);
    if (s.outbox.size() > kMaxOutboxMessages && !s.close_now) {
        LogLine(impl.logger, LogLevel::warn, "peer_not_reading")
            .unum("stream", s.id)
            .unum("queued", s.outbox.size());
        s.close_now = true;
        s.close_status = LWS_CLOSE_STATUS_POLICY_VIOLATION;
        s.close_reason = "peer not reading";
        write = true;
    }
    if (call.finished() && !s.closing) {
        s.closing = true;
        s.close_status = LWS_CLOSE_STATUS_NORMAL;
        s.close_reason = std::string(call.end_reason());
        write = true;
    }
    if (write) lws_callback_on_writable(s.wsi);
    arm_timer(impl, s, now);
}

bool end_call_from_webhook(Server::Impl& impl, StreamId id, std::int64_t now) {
    const auto it = impl.sessions.find(id);
    if (it == impl.sessions.end() || it->second->call->ended()) return false;
    Session& s = *it->second;
    s.call->on_closed("hangup", now);
    service_session(impl, s, now);
    return true;
}

void close_all_sessions(Server::Impl& impl) {
    for (auto& [id, s] : impl.sessions) {
        s->close_now = true;
        s->close_status = LWS_CLOSE_STATUS_GOINGAWAY;
        s->close_reason = "server shutting down";
        lws_callback_on_writable(s->wsi);
    }
}

namespace {

int handle_stream(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto** slot = static_cast<Session**>(user);
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirm_upgrade(impl_of(wsi), wsi, upgrade_protocol(in));
        case LWS_CALLBACK_ESTABLISHED:
            if (slot == nullptr) return -1;
            return on_established(impl_of(wsi), wsi, slot);
        case LWS_CALLBACK_RECEIVE:
            if (slot == nullptr || *slot == nullptr) return -1;
            on_receive(impl_of(wsi), **slot, in, len);
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE:
            if (slot == nullptr || *slot == nullptr) return 0;
            return on_writeable(impl_of(wsi), **slot);
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (slot != nullptr && *slot != nullptr && len >= 2) {
                const auto* p = static_cast<const unsigned char*>(in);
                LogLine(impl_of(wsi).logger, LogLevel::debug, "peer_close")
                    .unum("stream", (*slot)->id)
                    .num("code", (p[0] << 8) | p[1]);
            }
            return 0;
        case LWS_CALLBACK_CLOSED:
            if (slot != nullptr && *slot != nullptr) {
                Session* s = *slot;
                *slot = nullptr;
                on_closed(impl_of(wsi), s);
            }
            return 0;
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            // user is NULL here; several wake-ups may have merged into this one.
            impl_of(wsi).process_wakes();
            return 0;
        default:
            break;
    }
    return 0;
}

}  // namespace

int stream_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    return guarded(wsi, "stream", [&] { return handle_stream(wsi, reason, user, in, len); });
}

}  // namespace ringoverbot::net
