// What the simulated caller says, prepared once before any call starts: each --say text
// synthesized with flite, each --wav file read and downmixed, all resampled to the line's rate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "call/options.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::callsim {

struct CallerLine {
    std::string label;                  // the text said, or the WAV file's name
    std::vector<std::int16_t> samples;  // mono, at the call's rate
};

// Synthesizes or reads every line of `options` at options.rate_hz. Errors name the line.
Result<std::vector<CallerLine>> prepare_caller_lines(const Options& options,
                                                     std::shared_ptr<providers::WorkerPool> pool);

// Resamples a whole mono clip (flushing the filter's tail).
Result<std::vector<std::int16_t>> resample_clip(const std::vector<std::int16_t>& in,
                                                std::uint32_t in_rate_hz,
                                                std::uint32_t out_rate_hz);

}  // namespace ringoverbot::callsim
