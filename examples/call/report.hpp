// What ringoverbot-call prints: a table per call (turns), a summary over the calls (latency
// percentiles, errors, the simulator's own CPU), or one JSON object with the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call/simulated_call.hpp"

namespace ringoverbot::callsim {

struct Percentiles {
    std::size_t n = 0;
    double p50 = 0, p95 = 0, max = 0;
};
// Nearest-rank percentiles of `values` (n = 0 when empty).
Percentiles percentiles(std::vector<double> values);

struct RunInfo {
    std::string url;
    std::uint32_t rate_hz = 8000;
    std::string inbound;  // "l16" | "json"
    std::string encoding;
    bool barge_in = false;
    double wall_s = 0;         // connect of the first call -> end of the last
    double cpu_s = 0;          // the simulator's user+system CPU over that time
    std::string out_wav;       // written, when not empty
    std::string timeline_svg;  // written, when not empty
};

struct Summary {
    std::size_t calls = 0, clean = 0, failed = 0;
    Percentiles greeting_ms, turn_ms, break_ms;
    std::vector<std::pair<std::string, std::size_t>> errors;  // message -> calls
};
Summary summarize(const std::vector<const CallRecord*>& calls);

// The per-turn table of one call.
std::string format_table(const CallRecord& call, const RunInfo& info);
// The summary over several calls.
std::string format_summary(const Summary& summary, const RunInfo& info);
// Everything as one JSON object (--json; examples/ringoverbot-call.md §What it prints).
std::string format_json(const std::vector<const CallRecord*>& calls, const Summary& summary,
                        const RunInfo& info);

}  // namespace ringoverbot::callsim
