// One streamer WebSocket: the connection's agent::Call, its reassembly buffer and its outbound
// queue. Owned by Server::Impl::sessions; the lws per-session user data holds a plain pointer.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "net/server/call_control.hpp"
#include "net/server/call_recording.hpp"
#include "net/server/server_impl.hpp"
#include "ringoverbot/agent.hpp"

namespace ringoverbot::net {

inline constexpr const char* kStreamProtocol = "ringover-stream";

struct Session {
    StreamId id = 0;
    lws* wsi = nullptr;
    std::unique_ptr<agent::Call> call;
    std::shared_ptr<CallRecording> recording;  // the Call's audio tap, with recording_dir
    std::int64_t opened_us = 0;
    std::int64_t opened_unix_s = 0;  // names the call's files (recording_dir)
    std::string peer;                // "IP" of the media server

    std::vector<std::uint8_t> rx;  // the message being reassembled
    bool rx_too_large = false;     // drop the rest of this message

    std::deque<agent::Output> outbox;  // popped from the Call, not yet written
    std::vector<unsigned char> tx;     // LWS_PRE + the message being written
    agent::CallStats seen{};           // counted into the metrics so far
    bool linked = false;               // the metadata went to the CallLinker
    std::string claimed_call;          // the call id claimed in the directory (released at the end)
    bool closing = false;              // close once the outbox is written
    bool close_now = false;            // close at the next writeable, outbox or not
    int close_status = 1000;
    std::string close_reason;
    std::shared_ptr<CallControl> control;  // Ringover REST, when the server has a client
};

}  // namespace ringoverbot::net
