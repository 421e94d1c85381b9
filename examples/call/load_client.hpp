// The load generator's transport: one libwebsockets context and one service loop for every
// call, one pacing wake-up for all of them (not a timer per call), the bot's messages read by one
// shared parser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call/load_call.hpp"
#include "call/media_client.hpp"
#include "ringoverbot/error.hpp"

namespace ringoverbot::callsim {

struct LoadClientConfig {
    WsUrl url;
    std::string token;               // Authorization: Bearer, when not empty
    std::string ca_file;             // an extra CA for wss
    std::int64_t ramp_us = 0;        // connection attempts spread over this time
    std::int64_t hard_limit_us = 0;  // the loop stops after this whatever happens
};

// Connects every call, runs the loop until each has ended, and returns. Reply latencies (µs)
// are appended to `reply_latencies_us` as they happen. Errors only when the context cannot be
// created; a call's own failures are in its record.
Status run_load_calls(const LoadClientConfig& config, std::vector<LoadCall>& calls,
                      std::vector<std::int64_t>& reply_latencies_us);

}  // namespace ringoverbot::callsim
