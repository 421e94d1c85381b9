// What the C ABI's provider handles hold, and the conversions that more than one capi/ file
// needs (a call and a server both take providers and a call template). Internal: not installed.
#pragma once

#include <memory>
#include <string>

#include "ringoverbot.h"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/ringover_api.hpp"
#include "ringoverbot/streamer.hpp"
#include "ringoverbot/webhook.hpp"
#include "ringoverbot/workers.hpp"

// A handle is one reference: calls and servers copy the shared_ptr, so a handle may go first.
struct rob_stt_provider {
    std::shared_ptr<ringoverbot::providers::SttProvider> impl;
    std::string name;  // NUL-terminated copy of impl->name()
};
struct rob_llm_provider {
    std::shared_ptr<ringoverbot::providers::LlmProvider> impl;
    std::string name;
};
struct rob_tts_provider {
    std::shared_ptr<ringoverbot::providers::TtsProvider> impl;
    std::shared_ptr<ringoverbot::providers::CachedTts> cache;  // set when impl is a cache
    std::string name;
};
struct rob_worker_pool {
    std::shared_ptr<ringoverbot::providers::WorkerPool> impl;
};
struct rob_cloud_client {
    std::shared_ptr<ringoverbot::providers::CloudClient> impl;
};
struct rob_ringover_api {
    std::shared_ptr<ringoverbot::ringover::RestClient> impl;
};

struct rob_worker {
    std::shared_ptr<const ringoverbot::net::Worker> impl;
};

namespace ringoverbot::capi {

// rob_providers -> agent::Providers (stt, llm and tts required). ROB_OK or a ROB_ERR_* code.
int read_providers(const rob_providers* in, agent::Providers& out);

// rob_call_params (NULL = defaults) -> agent::CallConfig; the waker fields are not read.
// Range checks are Call::create's; this only refuses what cannot be converted.
int read_call_config(const rob_call_params* in, agent::CallConfig& out);

// ROB_NUMBER_* policy -> streamer::NumberPolicy; false for an unknown policy.
bool read_number_policy(int policy, streamer::NumberPolicy& out);

// rob_webhook_verifier_params -> webhook::Config (ROB_OK or ROB_ERR_INVALID_ARGUMENT).
int read_webhook_config(const rob_webhook_verifier_params* in, webhook::Config& out);

}  // namespace ringoverbot::capi
