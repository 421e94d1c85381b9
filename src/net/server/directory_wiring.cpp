// The server's side of the call directory: creating it from the settings, the calls this
// instance holds, and what an event routed here (or parked for a call) does to its call.
#include <unistd.h>

#include <random>

#include "common/json_writer.hpp"
#include "net/server/server_impl.hpp"
#include "net/server/stream_session.hpp"
#include "ringoverbot/workers.hpp"

namespace ringoverbot::net {

int redis_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    return guarded(wsi, "redis",
                   [&] { return RedisConnection::lws_callback(wsi, reason, user, in, len); });
}

void apply_directory_event(Server::Impl& impl, const directory::CallEvent& event,
                           std::string_view source) {
    const agent::CallRecord* rec = impl.linker.find_call(event.call_id);
    const bool held = rec != nullptr && rec->stream.has_value();
    bool ended = false;
    if (held && event.event == "hangup") {
        ended = end_call_from_webhook(impl, *rec->stream, Server::Impl::now_us());
        if (ended) Metrics::add(impl.metrics.webhook_hangups_applied);
    }
    LogLine line(impl.logger, LogLevel::info, "directory_event");
    line.str("source", source).str("call_id", event.call_id).str("kind", event.event);
    if (held) line.unum("stream", *rec->stream);
    if (ended) line.flag("ended_call", true);
}

Status start_directory(Server::Impl& impl, lws_vhost* vhost) {
    DirectoryConfig& d = impl.config.directory;
    if (d.redis_url.empty()) return {};
    auto address = directory::parse_redis_url(d.redis_url);
    if (!address) return address.error();
    if (d.instance_id.empty()) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
        std::random_device rd;
        const std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
        d.instance_id = directory::make_instance_id(host, static_cast<long>(getpid()), r);
    } else if (impl.config.worker) {
        // Workers share the configured id: each needs its own inbox and claims, so the worker's
        // index is added (a restarted worker keeps its index, hence its id).
        d.instance_id += "-w" + std::to_string(impl.config.worker->index());
    }
    std::string info;
    json::Writer w(info);
    w.begin_object().field("url", impl.base).field_int("pid", getpid());
    w.end_object();

    CallDirectory::Hooks hooks;
    hooks.apply = [&impl](const directory::CallEvent& ev, std::string_view source) {
        apply_directory_event(impl, ev, source);
    };
    hooks.held_calls = [&impl] {
        std::vector<std::string> calls;
        for (const auto& [id, s] : impl.sessions)
            if (!s->claimed_call.empty()) calls.push_back(s->claimed_call);
        return calls;
    };
    hooks.orphaned = [&impl](const directory::OrphanedCall& c) {
        if (!impl.config.directory.on_orphan) return;
        try {
            impl.config.directory.on_orphan(c.call_id, c.instance);
        } catch (const std::exception& e) {
            LogLine(impl.logger, LogLevel::error, "orphan_handler_failed").str("error", e.what());
        }
    };
    impl.directory =
        std::make_unique<CallDirectory>(impl.ctx, vhost, d, std::move(*address), std::move(info),
                                        impl.logger, impl.metrics, std::move(hooks));
    return {};
}

}  // namespace ringoverbot::net
