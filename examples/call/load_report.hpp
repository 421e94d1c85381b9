// The load generator's summary: counts, latency percentiles, audio gaps and its own CPU, as
// text or one JSON object (the shape tests/bench/density.py reads).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call/load_call.hpp"

namespace ringoverbot::callsim {

struct Percentiles {
    std::size_t count = 0;
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

// Nearest-rank percentiles of microsecond samples, in milliseconds.
Percentiles percentiles_ms(std::vector<std::int64_t> samples_us);

struct LoadSummary {
    std::size_t calls = 0, started = 0, greeted = 0, failed = 0;
    Percentiles greeting, reply;
    std::size_t gap_calls = 0;
    std::uint64_t gaps = 0;
    double max_gap_ms = 0;
    std::uint64_t phrases = 0, replies = 0, frames_sent = 0;
    double max_frame_late_ms = 0;       // the generator's worst lag behind its frame clock
    std::vector<std::string> failures;  // the first few reasons, with the call's index
};

LoadSummary summarize_load(const std::vector<LoadCall>& calls,
                           const std::vector<std::int64_t>& reply_latencies_us);

struct LoadRunInfo {
    std::string url;
    std::uint32_t duration_s = 0, ramp_s = 0;
    std::string talk;  // the phrase's file; empty for silent calls
    double wall_s = 0, cpu_s = 0;
};

std::string format_load_text(const LoadSummary& s, const LoadRunInfo& info);
std::string format_load_json(const LoadSummary& s, const LoadRunInfo& info);

}  // namespace ringoverbot::callsim
