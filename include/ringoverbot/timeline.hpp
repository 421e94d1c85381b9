// A picture of a call: the caller's and the bot's audio on two lanes, each turn's words (said /
// heard), barge-ins, resumes and actions as marks, and each turn's latency, rendered as one
// SVG document (README §A picture of every call).
//
//   agent::CallTimeline t = agent::call_timeline(call, start_us, end_us);  // from the engine
//   std::string svg = agent::render_timeline_svg(t);                      // pure: data in, text
//   out
//
// The renderer knows no engine: a host that is not the engine (the call simulator) fills a
// CallTimeline from what it saw, and a new kind of event is one more TimelineMark.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/export.hpp"

namespace ringoverbot::agent {

class Call;

// The peaks of one lane's audio in a fixed number of buckets (one per `bucket_ms` to start).
// When the call outgrows them, neighbouring buckets merge and each spans twice as long: the
// memory is bounded (capacity * 2 bytes) whatever the call's length, and the picture still
// covers the whole call. Times are the host clock in microseconds; the first add() sets the
// origin. Buckets are allocated as the lane reaches them, a step at a time (a call that is
// never drawn, or a lane that stays short, holds little).
class RINGOVERBOT_API AudioEnvelope {
  public:
    AudioEnvelope() : AudioEnvelope(20, 2048) {}
    AudioEnvelope(std::uint32_t bucket_ms, std::size_t capacity);

    // `samples` at `rate_hz`, the first one played at `at_us`. Samples before the origin are
    // dropped.
    void add(std::span<const std::int16_t> samples, std::uint32_t rate_hz, std::int64_t at_us);
    // Forgets everything from `from_us` on: audio that was queued but never played (a `break`).
    void cut(std::int64_t from_us);

    bool empty() const noexcept { return used_ == 0; }
    std::int64_t origin_us() const noexcept { return origin_us_; }  // -1 before the first add
    std::int64_t bucket_us() const noexcept { return bucket_us_; }
    // peaks()[i] is the largest |sample| in [origin + i * bucket, origin + (i+1) * bucket).
    std::span<const std::uint16_t> peaks() const noexcept { return {peaks_.data(), used_}; }
    std::size_t held_bytes() const noexcept { return peaks_.capacity() * sizeof(std::uint16_t); }

  private:
    void coarsen();
    void reach(std::size_t bucket);  // allocates buckets up to `bucket` (< capacity_)

    std::vector<std::uint16_t> peaks_;  // grows to capacity_, then the buckets merge
    std::size_t capacity_;
    std::size_t used_ = 0;
    std::int64_t origin_us_ = -1;
    std::int64_t bucket_us_;
};

enum class MarkKind : int {
    barge_in = 0,  // the caller cut the bot
    resume = 1,    // the bot went on with a reply it had paused
    action = 2,    // transfer, digits, end_call, play
    note = 3,      // anything else worth seeing (a misheard turn, a failure)
};
RINGOVERBOT_API std::string_view mark_kind_name(MarkKind kind) noexcept;  // "barge_in", ...

struct TimelineMark {
    MarkKind kind = MarkKind::note;
    std::int64_t at_us = 0;
    std::string label;  // "transfer 201", "misheard"; empty = the kind's name
};

// One caller turn and the bot's reply; -1 = did not happen. Turn 0 is the greeting.
struct TimelineTurn {
    std::uint32_t index = 0;
    std::string said;                  // the caller's words (empty for the greeting)
    std::string heard;                 // what the caller heard of the reply
    std::string reply;                 // the reply as generated (== heard unless cut)
    std::int64_t said_end_us = -1;     // the caller stopped speaking
    std::int64_t reply_start_us = -1;  // the reply's first audio played
    std::int64_t reply_end_us = -1;    // its last audio played, or the cut
    std::int64_t latency_us = -1;      // end of the caller's words -> the reply's first audio
    bool interrupted = false;
};

struct CallTimeline {
    std::string title;          // the call's id
    std::int64_t start_us = 0;  // the call's span on the host clock
    std::int64_t end_us = -1;   // -1 = the last thing seen
    AudioEnvelope caller, bot;  // the bot lane: what the caller heard, placed by playout time
    std::vector<TimelineTurn> turns;
    std::vector<TimelineMark> marks;
};

// The SVG document (UTF-8, standalone, no script, no external reference). Every text of the
// timeline is escaped; bytes that are not valid UTF-8 or not allowed in XML become U+FFFD. The
// document carries classes and data attributes for tools and tests: <g class="lane"
// data-lane="caller|bot">, one <g class="turn" data-turn="N"> per turn, one <g class="mark"
// data-kind="..."> per mark, and data-turns on the root.
RINGOVERBOT_API std::string render_timeline_svg(const CallTimeline& timeline);

// The engine's view of a call: its envelopes, its turns (TurnMetrics) and their marks (a
// barge-in where a reply was cut, each action at the end of its reply). `end_us` -1 = the
// last thing the call saw.
RINGOVERBOT_API CallTimeline call_timeline(const Call& call, std::int64_t start_us,
                                           std::int64_t end_us = -1);

}  // namespace ringoverbot::agent
