// Server-sent events (the WHATWG "text/event-stream" format), sans-I/O: bytes in, events out.
// Chunks may split anywhere (inside a line, between "\r" and "\n"); lines end in LF, CRLF or
// CR; ":" lines are comments; several "data:" lines join with "\n"; an event is dispatched at a
// blank line. A UTF-8 BOM at the start is skipped.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::providers::cloud {

struct SseEvent {
    std::string event;  // "" when the event had no "event:" field ("message")
    std::string data;
    std::string id;
};

class SseParser {
  public:
    explicit SseParser(std::size_t max_event_bytes = std::size_t{1} << 20)
        : max_event_bytes_(max_event_bytes) {}
    // Consumes a chunk; complete events queue up for next(). too_large when one event (or a
    // line) grows beyond max_event_bytes: the parser is then unusable.
    Status feed(std::string_view chunk);
    // Pops the next complete event; false when none is ready.
    bool next(SseEvent& out);

  private:
    std::size_t max_event_bytes_;
    std::string line_;
    SseEvent building_;
    bool has_data_ = false;
    bool after_cr_ = false;
    bool started_ = false;
    bool failed_ = false;
    std::deque<SseEvent> ready_;
};

}  // namespace ringoverbot::providers::cloud
