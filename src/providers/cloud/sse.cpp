// The WHATWG "Interpreting an event stream" algorithm (HTML, server-sent events, 9.2.6) over
// raw bytes. The bytes are kept as they are (no U+FFFD replacement of invalid UTF-8): the
// payloads here are JSON, whose parser rejects invalid UTF-8 itself.
#include "providers/cloud/sse.hpp"

#include <utility>

namespace ringoverbot::providers::cloud {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

Status SseParser::feed(std::string_view chunk) {
    if (failed_) return {Errc::invalid_state, "sse: the parser failed earlier"};

    // The event being built plus the current line: what one event can hold at most.
    const auto over_cap = [this] {
        return line_.size() + building_.data.size() + building_.event.size() > max_event_bytes_;
    };
    const auto fail = [this] {
        failed_ = true;
        line_.clear();
        building_ = SseEvent{};
        return Status{Errc::too_large, "sse: an event is larger than " +
                                           std::to_string(max_event_bytes_) + " bytes"};
    };

    const auto process_line = [this](std::string_view line) {
        if (line.empty()) {
            // Dispatch. No "data" field: nothing goes out and the event type is forgotten.
            if (has_data_) {
                SseEvent ev;
                ev.event = std::move(building_.event);
                ev.data = std::move(building_.data);
                ev.id = building_.id;  // the last event ID persists across events
                ready_.push_back(std::move(ev));
            }
            building_.event.clear();
            building_.data.clear();
            has_data_ = false;
            return;
        }
        if (line.front() == ':') return;  // a comment
        std::string_view field = line, value;
        if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            field = line.substr(0, colon);
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "data") {
            if (has_data_) building_.data.push_back('\n');
            building_.data.append(value);
            has_data_ = true;
        } else if (field == "event") {
            building_.event.assign(value);
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) building_.id.assign(value);
        }
        // "retry" (we do not reconnect) and unknown fields are ignored, as the spec says.
    };

    // Lines end at CR, LF or CRLF; a CRLF may be split between two chunks (after_cr_).
    const auto consume = [&](std::string_view in) -> bool {
        while (!in.empty()) {
            if (after_cr_) {
                after_cr_ = false;
                if (in.front() == '\n') {
                    in.remove_prefix(1);
                    continue;
                }
            }
            const auto end = in.find_first_of("\r\n");
            if (end == std::string_view::npos) {
                line_.append(in);
                return !over_cap();
            }
            std::string_view line = in.substr(0, end);
            if (!line_.empty()) {
                line_.append(line);
                if (over_cap()) return false;
                line = line_;
            }
            if (line.size() + building_.data.size() + building_.event.size() > max_event_bytes_)
                return false;
            after_cr_ = in[end] == '\r';
            process_line(line);
            line_.clear();
            in.remove_prefix(end + 1);
            if (over_cap()) return false;
        }
        return true;
    };

    if (!started_) {
        // Hold the first bytes until they are known to be, or not to be, a BOM.
        while (!chunk.empty() && !started_) {
            line_.push_back(chunk.front());
            chunk.remove_prefix(1);
            if (kBom.substr(0, line_.size()) != line_) {
                started_ = true;
                std::string held = std::move(line_);
                line_.clear();
                if (!consume(held)) return fail();
            } else if (line_.size() == kBom.size()) {
                started_ = true;
                line_.clear();
            }
        }
    }
    if (!consume(chunk)) return fail();
    return {};
}

bool SseParser::next(SseEvent& out) {
    if (ready_.empty()) return false;
    out = std::move(ready_.front());
    ready_.pop_front();
    return true;
}

}  // namespace ringoverbot::providers::cloud
