// The server's use of Ringover's REST API for a streamed call (call_control.hpp). REST
// failures are logged by the cloud client (cloud_request_failed, provider "ringover", the key
// masked); the call itself never waits for REST.
#include "net/server/call_control.hpp"

#include "net/server/stream_session.hpp"
#include "ringoverbot/ringover_api.hpp"

namespace ringoverbot::net {

namespace {

// The call's ids: the stream's metadata first, then the webhooks linked to it.
ringover::CallRef call_ref(Server::Impl& impl, const Session& s) {
    ringover::CallRef ref;
    const auto& md = s.call->metadata();
    if (md.call_id) ref.call_id = *md.call_id;
    if (md.channel_id) ref.channel_id = *md.channel_id;
    if (ref.call_id.empty()) ref.call_id = impl.linker.call_of(s.id).value_or("");
    if (ref.channel_id.empty() && !ref.call_id.empty())
        if (const agent::CallRecord* rec = impl.linker.find_call(ref.call_id))
            ref.channel_id = rec->channel_id;
    return ref;
}

void ask_context(Server::Impl& impl, Session& s, const std::string& call_id) {
    CallControl& c = *s.control;
    c.context_asked = true;
    LogLine(impl.logger, LogLevel::debug, "rest_call_details")
        .unum("stream", s.id)
        .str("call_id", call_id);
    std::weak_ptr<CallControl> weak = s.control;
    impl.config.ringover_api->call_details(
        call_id, [weak, wakes = impl.wakes, id = s.id](Result<ringover::RestReply> r) {
            auto control = weak.lock();
            if (!control) return;
            std::string text;
            if (r) {
                auto details = ringover::parse_call_details(r->body);
                if (details) text = ringover::call_context_text(*details);
            }
            {
                std::lock_guard<std::mutex> lock(control->mu);
                control->context = std::move(text);
                control->context_ready = true;
            }
            wakes->wake(id);
        });
}

void apply_context(Session& s) {
    CallControl& c = *s.control;
    std::string text;
    {
        std::lock_guard<std::mutex> lock(c.mu);
        if (!c.context_ready) return;
        text = std::move(c.context);
    }
    c.context_applied = true;
    if (!text.empty()) s.call->set_context(std::move(text));
}

void rest_transfer(Server::Impl& impl, Session& s) {
    CallControl& c = *s.control;
    c.transfer_due_us = agent::Call::kNever;
    const ringover::CallRef ref = call_ref(impl, s);
    LogLine line(impl.logger, LogLevel::info, "rest_transfer");
    line.unum("stream", s.id).str("call_id", ref.call_id).str("channel_id", ref.channel_id);
    if (ref.channel_id.empty()) {
        line.str("skipped", "no channel_id (neither the stream nor a webhook gave one)");
        return;
    }
    impl.config.ringover_api->transfer(ref.channel_id, c.transfer_number, {});
}

void on_action(Server::Impl& impl, Session& s, const providers::Action& a, std::int64_t now) {
    CallControl& c = *s.control;
    if (a.kind == providers::ActionKind::transfer && impl.config.rest_transfer_fallback_ms != 0) {
        c.transfer_number = a.value;
        c.transfer_due_us = now + std::int64_t{impl.config.rest_transfer_fallback_ms} * 1000;
        return;
    }
    if (a.kind != providers::ActionKind::end_call) return;
    c.transfer_due_us = agent::Call::kNever;  // the bot hangs up: no transfer any more
    const ringover::CallRef ref = call_ref(impl, s);
    LogLine line(impl.logger, LogLevel::info, "rest_hangup");
    line.unum("stream", s.id).str("call_id", ref.call_id).str("channel_id", ref.channel_id);
    if (ref.call_id.empty() && ref.channel_id.empty()) {
        line.str("skipped", "no call_id or channel_id");
        return;
    }
    impl.config.ringover_api->hangup(ref, [](Result<ringover::RestReply>) {});
}

}  // namespace

void control_call(Server::Impl& impl, Session& s, std::int64_t now) {
    if (!impl.config.ringover_api) return;
    if (!s.control) s.control = std::make_shared<CallControl>();
    CallControl& c = *s.control;
    if (!c.context_asked && impl.config.rest_call_context) {
        const ringover::CallRef ref = call_ref(impl, s);
        if (!ref.call_id.empty()) ask_context(impl, s, ref.call_id);
    }
    if (c.context_asked && !c.context_applied) apply_context(s);
    providers::Action a;
    while (s.call->next_action(a)) on_action(impl, s, a, now);
    if (c.transfer_due_us <= now && !s.call->ended()) rest_transfer(impl, s);
}

std::int64_t control_wakeup(const Session& s) {
    return s.control ? s.control->transfer_due_us : agent::Call::kNever;
}

}  // namespace ringoverbot::net
