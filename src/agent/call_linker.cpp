#include "agent/call_linker.hpp"

namespace ringoverbot::agent {

std::string normalize_number(std::string_view number) {
    if (!number.empty() && number.front() == '+') number.remove_prefix(1);
    return std::string(number);
}

CallRecord& CallLinker::record(const std::string& call_id, double now) {
    auto [it, inserted] = calls_.try_emplace(call_id);
    if (inserted) {
        it->second.call_id = call_id;
        order_.emplace_back(now, call_id);
    }
    it->second.updated_at = now;
    return it->second;
}

void CallLinker::expire(double now) {
    while (!order_.empty() &&
           (order_.size() > config_.max_calls || order_.front().first < now - config_.keep_s)) {
        const auto it = calls_.find(order_.front().second);
        if (it != calls_.end()) {
            if (it->second.stream) streams_.erase(*it->second.stream);
            calls_.erase(it);
        }
        order_.pop_front();
    }
}

std::optional<StreamId> CallLinker::on_webhook(const webhook::Event& event, double now) {
    if (event.resource() != "call") return std::nullopt;
    const auto id = event.field(webhook::Field::call_id);
    if (!id || id->empty()) return std::nullopt;
    CallRecord& rec = record(std::string(*id), now);
    auto copy = [&event](webhook::Field f, std::string& out) {
        if (const auto v = event.field(f); v && !v->empty()) out = std::string(*v);
    };
    copy(webhook::Field::channel_id, rec.channel_id);
    copy(webhook::Field::direction, rec.direction);
    if (const auto v = event.field(webhook::Field::from_number))
        rec.from_number = normalize_number(*v);
    if (const auto v = event.field(webhook::Field::to_number)) rec.to_number = normalize_number(*v);
    rec.last_event = std::string(event.event());
    if (rec.last_event == "answered") rec.answered_at = now;
    const auto stream = rec.stream;
    expire(now);
    return stream;
}

const CallRecord* CallLinker::link_stream(StreamId stream, const streamer::Metadata& metadata,
                                          double now) {
    expire(now);
    CallRecord* found = nullptr;
    if (metadata.call_id && !metadata.call_id->empty()) {
        // The metadata names the call: link now, even before its webhooks arrive.
        found = &record(*metadata.call_id, now);
    } else {
        const std::string from =
            metadata.from_number ? normalize_number(*metadata.from_number) : "";
        const std::string to = metadata.to_number ? normalize_number(*metadata.to_number) : "";
        if (from.empty() && to.empty()) return nullptr;
        for (auto& [id, rec] : calls_) {
            if (rec.stream || !rec.answered_at || *rec.answered_at < now - config_.window_s ||
                *rec.answered_at > now)
                continue;
            if ((!from.empty() && rec.from_number != from) || (!to.empty() && rec.to_number != to))
                continue;
            if (!found || *rec.answered_at > *found->answered_at) found = &rec;
        }
        if (!found) return nullptr;
    }
    if (found->stream && *found->stream != stream) streams_.erase(*found->stream);
    found->stream = stream;
    streams_[stream] = found->call_id;
    return found;
}

void CallLinker::on_stream_end(StreamId stream) {
    const auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    if (const auto rec = calls_.find(it->second); rec != calls_.end()) rec->second.stream.reset();
    streams_.erase(it);
}

const CallRecord* CallLinker::find_call(std::string_view call_id) const {
    const auto it = calls_.find(std::string(call_id));
    return it == calls_.end() ? nullptr : &it->second;
}

std::optional<std::string> CallLinker::call_of(StreamId stream) const {
    const auto it = streams_.find(stream);
    if (it == streams_.end()) return std::nullopt;
    return it->second;
}

}  // namespace ringoverbot::agent
