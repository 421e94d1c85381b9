// The options of the ringoverbot-agent host (examples/ringoverbot-agent.md): command-line flags
// over a JSON config file over the defaults, and secrets from the environment. Sans-I/O: the caller
// hands over the arguments, an environment lookup and a file reader, so every rule is unit-tested
// (tests/unit/test_examples_agent_config.cpp). It uses the library's public headers only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"
#include "ringoverbot/ringover_api.hpp"
#include "ringoverbot/server.hpp"

namespace ringoverbot::agenthost {

struct HostOptions {
    net::ServerConfig server;      // listen address, paths, limits, keys, call template
    std::string config_path;       // --config, empty when none
    std::string dialog_path;       // empty = the bundled demo dialog
    std::string stt = "local";     // local | openai | deepgram
    std::string llm = "scripted";  // scripted | openai
    std::string tts = "local";     // local | openai | elevenlabs
    std::string voice = "slt";     // the local (flite) voice: slt | kal
    std::size_t workers = 2;       // threads of the worker pool of the local engines
    // --workers / "worker_processes": processes serving the port (SO_REUSEPORT) under a
    // supervisor; 1 = this process alone, no supervisor; 0 ("auto") = one per core.
    unsigned worker_processes = 1;

    // The cloud providers' settings: config sections "openai", "deepgram", "elevenlabs" and
    // "cloud" (timeouts, CA file, proxy); keys and base URLs from the environment.
    providers::OpenAiLlmOptions openai_llm;
    providers::OpenAiSttOptions openai_stt;
    providers::OpenAiTtsOptions openai_tts;
    providers::DeepgramSttOptions deepgram;
    providers::ElevenLabsTtsOptions elevenlabs;
    net::CloudClientConfig cloud;
    // Ringover's REST API: RINGOVER_API_KEY and RINGOVER_BASE_URL from the environment, the
    // rest from the config's "ringover" section (its transfer_fallback_ms and call_context go
    // to server.rest_transfer_fallback_ms / rest_call_context). No key = no REST.
    ringover::RestConfig ringover;
    std::optional<double> webhook_clock;  // verify webhooks at this fixed Unix time (tests)
    bool help = false;
    bool version = false;
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// Parses the arguments (without argv[0]). The error message is one line naming the flag, the
// config key (as a JSON path) or the variable at fault; the host prints it and exits 2.
Result<HostOptions> parse_host_options(std::span<const std::string_view> args, const EnvLookup& env,
                                       const FileReader& read_file);

// Applies a config file's JSON onto `out` (unknown keys are errors: a typo must not pass
// silently).
Status apply_config_json(std::string_view json, HostOptions& out);

// "HOST:PORT", "[v6]:PORT" or ":PORT" (= 127.0.0.1). Port 0 = ephemeral.
Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

// The --help text.
std::string_view host_usage() noexcept;

}  // namespace ringoverbot::agenthost
