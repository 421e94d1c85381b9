// JSON-lines logging of the server: one object per line, built only when its level is enabled,
// handed to the host's sink (stderr by default). libwebsockets' own warnings and errors are
// routed into the same sink while a server is alive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_writer.hpp"
#include "ringoverbot/log.hpp"

namespace ringoverbot::net {

class Logger {
  public:
    Logger(LogSink sink, LogLevel min_level);
    bool enabled(LogLevel level) const noexcept { return level >= min_level_; }
    void write(LogLevel level, std::string_view json_line) const;
    LogLevel min_level() const noexcept { return min_level_; }

  private:
    LogSink sink_;
    LogLevel min_level_;
};

// One log line: {"ts":<unix s>,"level":"info","event":"<event>", ...fields}. Emitted when
// destroyed; does nothing when the level is disabled. Text that is not valid UTF-8 is written
// with the bad bytes replaced, so every line stays valid JSON.
class LogLine {
  public:
    LogLine(const Logger& logger, LogLevel level, std::string_view event);
    ~LogLine();
    LogLine(const LogLine&) = delete;
    LogLine& operator=(const LogLine&) = delete;

    bool active() const noexcept { return active_; }
    LogLine& str(std::string_view key, std::string_view value);
    LogLine& num(std::string_view key, std::int64_t value);
    LogLine& unum(std::string_view key, std::uint64_t value);
    LogLine& real(std::string_view key, double value);
    LogLine& flag(std::string_view key, bool value);
    // A pre-serialized JSON value (an object or an array built by the caller).
    LogLine& raw(std::string_view key, std::string_view json);

  private:
    const Logger& logger_;
    LogLevel level_;
    bool active_;
    std::string line_;
    json::Writer w_;
};

// Appends `s` as a JSON string; invalid UTF-8 bytes become U+FFFD.
void append_text(std::string& out, std::string_view s);
// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);

// Routes libwebsockets' log lines (errors and warnings; notices too at debug level) to
// `logger` until the returned guard is destroyed. lws keeps one process-wide log callback, so
// the newest guard wins and the previous route comes back when it goes.
class LwsLogRoute {
  public:
    explicit LwsLogRoute(const Logger* logger);
    ~LwsLogRoute();
    LwsLogRoute(const LwsLogRoute&) = delete;
    LwsLogRoute& operator=(const LwsLogRoute&) = delete;

  private:
    const Logger* previous_;
};

}  // namespace ringoverbot::net
