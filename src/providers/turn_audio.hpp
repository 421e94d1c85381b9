// The audio of a call's current turn, for STT providers that transcribe each turn whole
// (OpenAI's /audio/transcriptions) or in pieces from the speech start (pocketsphinx). The engine
// confirms a speech start late by design (its VAD needs some speech), so the turn begins a
// preroll before the onset it reports.
//
// Memory follows speech, not the call's length. With speech-start hints (the engine gives one
// before every end of turn), a call between turns keeps only a small ring at the line's rate:
// the preroll plus how far before its confirmation an onset may lie (kOnsetReachMs). A turn's
// buffer is allocated at its speech start, grows with the turn (the newest max_turn_ms are
// kept) and is released when the turn is cut. Without hints (a host that cuts turns itself),
// the audio since the last cut is the turn, up to max_turn_ms.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ringoverbot::providers {

class TurnAudio {
  public:
    // How far before the engine's confirmation the onset it reports can lie: the confirmation
    // needs speech_start_ms (120) or, over the bot, barge_in_ms (200) of speech, whose short
    // gaps (under 60 ms) do not restart it. An older onset starts the turn at the ring's oldest
    // sample.
    static constexpr std::uint32_t kOnsetReachMs = 500;

    // `speech_start_hints`: speech_started() comes before every cut() that has speech
    // (SttOptions::speech_start_hints).
    TurnAudio(std::uint32_t sample_rate_hz, std::uint32_t max_turn_ms, std::uint32_t preroll_ms,
              bool speech_start_hints = false);

    void push(std::span<const std::int16_t> samples);
    // The engine's speech start, which began `onset_ms_ago` before the newest sample (the first
    // one of a turn counts); the turn starts the preroll before that onset, never before the
    // last cut.
    void speech_started(std::uint32_t onset_ms_ago = 0);
    // The turn so far, and starts the next one (the turn's buffer goes with it). A hinted turn
    // that never had a speech start is what the ring holds since the last cut.
    std::vector<std::int16_t> cut();
    // For a provider that decodes as the caller speaks: how much of the current turn has not
    // been taken yet, and take() appends it to `out` (whose capacity the caller recycles) and
    // moves the turn's start past it, so the final cut() holds only the rest.
    std::size_t untaken() const noexcept;
    void take(std::vector<std::int16_t>& out);

    std::uint32_t sample_rate_hz() const noexcept { return rate_; }
    // Bytes held now (the ring and the turn's buffer), for tests of what a call costs.
    std::size_t held_bytes() const noexcept;

  private:
    bool collecting() const noexcept { return started_ || !hints_; }
    std::vector<std::int16_t> ring_tail(std::size_t n) const;

    std::uint32_t rate_;
    bool hints_;
    std::size_t max_turn_;  // samples
    std::size_t preroll_;   // samples
    std::vector<std::int16_t> ring_;  // hinted: the newest audio before a speech start
    std::uint64_t ring_total_ = 0;    // samples pushed into the ring
    std::size_t since_cut_ = 0;       // of those, after the last cut (at most the ring's size)
    std::vector<std::int16_t> turn_;  // the turn being collected, from its start
    bool started_ = false;            // a speech start this turn
};

}  // namespace ringoverbot::providers
