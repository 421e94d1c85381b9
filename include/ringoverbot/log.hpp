// Logging of the network hosts (the server and the cloud client): the levels and the sink a
// host gives them. Every line is one JSON object; lines below the configured level are never
// built.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "ringoverbot/export.hpp"

namespace ringoverbot::net {

enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };
RINGOVERBOT_API std::string_view log_level_name(LogLevel level) noexcept;  // "debug", ...
RINGOVERBOT_API std::optional<LogLevel> parse_log_level(std::string_view name) noexcept;

// Receives one JSON object per line (no trailing newline), on the loop thread. Lines below the
// configured level are never built. libwebsockets' own warnings and errors arrive here too.
using LogSink = std::function<void(LogLevel level, std::string_view json_line)>;

}  // namespace ringoverbot::net
