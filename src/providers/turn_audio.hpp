// The audio of a call's current turn, for STT providers that transcribe each turn whole
// (OpenAI's /audio/transcriptions) or in pieces from the speech start (pocketsphinx): a bounded
// ring of the newest audio on the loop thread, from which the engine's end of turn cuts the
// utterance, starting a preroll before the engine's speech start (its VAD confirms speech late by
// design).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ringoverbot::providers {

class TurnAudio {
  public:
    TurnAudio(std::uint32_t sample_rate_hz, std::uint32_t max_turn_ms, std::uint32_t preroll_ms);

    // Appends audio; only the newest max_turn_ms are kept.
    void push(std::span<const std::int16_t> samples);
    // The engine's speech start, which began `onset_ms_ago` before the newest sample (the first
    // one of a turn counts); the turn starts the preroll before that onset.
    void speech_started(std::uint32_t onset_ms_ago = 0);
    // The turn so far (from the preroll before the speech start, or from the end of the last
    // turn when there was no start), and starts the next one.
    std::vector<std::int16_t> cut();
    // For a provider that decodes as the caller speaks: how much of the current turn has not
    // been taken yet, and take() appends it to `out` (whose capacity the caller recycles) and
    // moves the turn's start past it, so the final cut() holds only the rest.
    std::size_t untaken() const noexcept;
    void take(std::vector<std::int16_t>& out);

    std::uint32_t sample_rate_hz() const noexcept { return rate_; }

  private:
    std::uint32_t rate_;
    std::vector<std::int16_t> ring_;
    std::uint64_t total_ = 0;       // samples received so far
    std::uint64_t turn_start_ = 0;  // where the current turn begins (a sample count)
    std::uint64_t preroll_;
    bool hinted_ = false;
};

}  // namespace ringoverbot::providers
