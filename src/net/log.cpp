#include "net/log.hpp"

#include <libwebsockets.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <utility>

namespace ringoverbot::net {

std::string_view log_level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "unknown";
}

std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
    if (name == "debug") return LogLevel::debug;
    if (name == "info") return LogLevel::info;
    if (name == "warn" || name == "warning") return LogLevel::warn;
    if (name == "error") return LogLevel::error;
    return std::nullopt;
}

namespace {

void stderr_sink(LogLevel, std::string_view line) {
    // One fwrite per line: stdio locks the stream, so lines of several servers never interleave.
    std::string buf;
    buf.reserve(line.size() + 1);
    buf.append(line);
    buf.push_back('\n');
    std::fwrite(buf.data(), 1, buf.size(), stderr);
    std::fflush(stderr);
}

double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Logger::Logger(LogSink sink, LogLevel min_level)
    : sink_(sink ? std::move(sink) : LogSink(stderr_sink)), min_level_(min_level) {}

void Logger::write(LogLevel level, std::string_view json_line) const {
    if (enabled(level)) sink_(level, json_line);
}

void append_text(std::string& out, std::string_view s) {
    if (json::valid_utf8(s))
        json::append_string(out, s);
    else
        json::append_string(out, sanitize_utf8(s));
}

std::string sanitize_utf8(std::string_view s) {
    // Rare path (a peer's garbage): copy valid sequences, replace every other byte.
    std::string clean;
    clean.reserve(s.size() + 8);
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80             ? 1
                          : (c & 0xE0) == 0xC0 ? 2
                          : (c & 0xF0) == 0xE0 ? 3
                          : (c & 0xF8) == 0xF0 ? 4
                                               : 0;
        if (len != 0 && i + len <= s.size() && json::valid_utf8(s.substr(i, len))) {
            clean.append(s.substr(i, len));
            i += len;
        } else {
            clean.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    return clean;
}

LogLine::LogLine(const Logger& logger, LogLevel level, std::string_view event)
    : logger_(logger), level_(level), active_(logger.enabled(level)), w_(line_) {
    if (!active_) return;
    line_.reserve(256);
    w_.begin_object();
    w_.key("ts").number(static_cast<double>(static_cast<std::int64_t>(unix_now() * 1000)) / 1000);
    w_.field("level", log_level_name(level));
    w_.field("event", event);
}

LogLine::~LogLine() {
    if (!active_) return;
    try {
        w_.end_object();
        logger_.write(level_, line_);
    } catch (...) {
        // A destructor must not throw: a line the sink refused (or memory could not hold) is lost.
    }
}

LogLine& LogLine::str(std::string_view key, std::string_view value) {
    if (!active_) return *this;
    if (json::valid_utf8(value))
        w_.key(key).string(value);
    else
        w_.key(key).string(sanitize_utf8(value));
    return *this;
}
LogLine& LogLine::num(std::string_view key, std::int64_t value) {
    if (active_) w_.key(key).integer(value);
    return *this;
}
LogLine& LogLine::unum(std::string_view key, std::uint64_t value) {
    if (active_) w_.key(key).uinteger(value);
    return *this;
}
LogLine& LogLine::real(std::string_view key, double value) {
    if (active_) w_.key(key).number(value);
    return *this;
}
LogLine& LogLine::flag(std::string_view key, bool value) {
    if (active_) w_.key(key).boolean(value);
    return *this;
}
LogLine& LogLine::raw(std::string_view key, std::string_view json) {
    if (active_) w_.key(key).raw(json);
    return *this;
}

// ---- libwebsockets' log callback ------------------------------------------------------------

namespace {

// lws_set_log_level() takes a plain function pointer without user data: the route has to be
// process-wide state.
std::mutex g_route_mu;
const Logger* g_route = nullptr;

void lws_emit(int level, const char* line) {
    std::lock_guard<std::mutex> lock(g_route_mu);
    if (g_route == nullptr || line == nullptr) return;
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    // lws prefixes "[YYYY/MM/DD HH:MM:SS:uuuu] X: "; our line has its own timestamp.
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("] ");
        if (close != std::string_view::npos) text.remove_prefix(close + 2);
        if (text.size() > 3 && text[1] == ':' && text[2] == ' ') text.remove_prefix(3);
    }
    const LogLevel lvl = (level & LLL_ERR)    ? LogLevel::error
                         : (level & LLL_WARN) ? LogLevel::warn
                                              : LogLevel::debug;
    LogLine(*g_route, lvl, "lws").str("msg", text);
}

}  // namespace

LwsLogRoute::LwsLogRoute(const Logger* logger) {
    std::lock_guard<std::mutex> lock(g_route_mu);
    previous_ = g_route;
    g_route = logger;
    int mask = LLL_ERR | LLL_WARN;
    if (logger != nullptr && logger->enabled(LogLevel::debug)) mask |= LLL_NOTICE;
    lws_set_log_level(mask, lws_emit);
}

LwsLogRoute::~LwsLogRoute() {
    std::lock_guard<std::mutex> lock(g_route_mu);
    g_route = previous_;
}

}  // namespace ringoverbot::net
