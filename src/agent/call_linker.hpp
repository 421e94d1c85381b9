// Links a streamer WebSocket to the webhooks of the same call (src/streamer/README.md §Linking
// a stream to its webhooks): by `call_id` when the stream's metadata carries one, otherwise to
// the newest `call/answered` webhook with the same numbers within a window (default 10 s).
// Sans-I/O and bounded: the caller passes the time; old records are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ringoverbot/streamer.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::agent {

using StreamId = std::uint64_t;

struct LinkerConfig {
    double window_s = 10.0;        // how old an answered webhook may be to match by numbers
    double keep_s = 4 * 3600.0;    // how long a call's webhook record is kept at most
    std::size_t max_calls = 4096;  // records kept at most (oldest dropped first)
};

// What the webhooks said about a call.
struct CallRecord {
    std::string call_id;
    std::string channel_id, from_number, to_number, direction;
    std::string last_event;             // "answered", "hangup", ...
    std::optional<double> answered_at;  // our clock when call/answered arrived
    double updated_at = 0;
    std::optional<StreamId> stream;  // the stream linked to this call
};

class CallLinker {
  public:
    explicit CallLinker(LinkerConfig config = {}) : config_(config) {}

    // A verified call webhook (other resources are ignored). Returns the stream already linked
    // to this call, so the host can hand it the event (a hangup, say).
    std::optional<StreamId> on_webhook(const webhook::Event& event, double now);

    // A stream's metadata arrived. Returns the call's record when one is found.
    const CallRecord* link_stream(StreamId stream, const streamer::Metadata& metadata, double now);

    // The stream ended: forget its link (the record stays for late webhooks until it expires).
    void on_stream_end(StreamId stream);

    const CallRecord* find_call(std::string_view call_id) const;
    std::optional<std::string> call_of(StreamId stream) const;
    std::size_t size() const { return calls_.size(); }

  private:
    CallRecord& record(const std::string& call_id, double now);
    void expire(double now);

    LinkerConfig config_;
    std::unordered_map<std::string, CallRecord> calls_;
    std::deque<std::pair<double, std::string>> order_;  // (first seen, call_id), oldest first
    std::unordered_map<StreamId, std::string> streams_;
};

// Digits of a phone number without a leading '+' (Ringover writes numbers that way).
std::string normalize_number(std::string_view number);

}  // namespace ringoverbot::agent
