// What the server does through Ringover's REST API for a streamed call, when
// ServerConfig::ringover_api is set: the call's details into the LLM's context at call start,
// a REST hang-up with the bot's end_call, and a REST transfer when the media server has not
// acted on a transfer (the stream is still open) after rest_transfer_fallback_ms.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "net/server/server_impl.hpp"
#include "ringoverbot/agent.hpp"

namespace ringoverbot::net {

struct Session;

// Per streamed call; the REST callbacks hold it weakly (they may outlive the session).
struct CallControl {
    // Written by the call details' callback (any thread), read on the loop thread.
    std::mutex mu;
    std::string context;
    bool context_ready = false;

    // Loop thread only.
    bool context_asked = false;
    bool context_applied = false;
    std::string transfer_number;
    std::int64_t transfer_due_us = agent::Call::kNever;
};

// After the call was polled and its outputs taken (loop thread): asks for the call's details
// once its id is known, hands them to the call when they are in, acts on the actions the call
// ran, and sends a transfer through REST when its fallback time has come. Nothing without
// ServerConfig::ringover_api.
void control_call(Server::Impl& impl, Session& s, std::int64_t now);
// When control_call must run again (agent::Call::kNever when nothing is due).
std::int64_t control_wakeup(const Session& s);

}  // namespace ringoverbot::net
