// The caller's side of the stream, ready for the engine: one channel (the caller's: left when
// the stream is stereo), cut into 20 ms frames at the line's own rate for the VAD, and the same
// audio at the rate the STT asked for. Whatever size the inbound messages have, the VAD sees
// whole 20 ms frames. The energy VAD needs no particular rate, so nothing is resampled for it:
// a call whose STT takes the line's rate resamples nothing at all. Buffers are kept between
// messages, so nothing is allocated per frame once warm (a new inbound rate creates a
// resampler for the STT: that happens once per stream, not per frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/streamer.hpp"

namespace ringoverbot::agent {

class EchoCanceller;

class CallerAudio {
  public:
    static constexpr std::uint32_t kFrameMs = 20;

    // `stt_rate_hz`: the rate stt_samples() is at (fixed for the call).
    explicit CallerAudio(std::uint32_t stt_rate_hz) : stt_rate_(stt_rate_hz) {}

    // One inbound audio event: interleaved samples in `format`. Afterwards stt_samples() holds
    // this message's audio at the STT rate and next_vad_frame() yields the complete frames.
    // An error (a rate libsamplerate refuses) leaves the message unused.
    Status push(std::span<const std::int16_t> interleaved, const streamer::AudioFormat& format);

    // This message's caller audio at the STT rate; valid until the next push().
    std::span<const std::int16_t> stt_samples() const;
    // Pops the next complete 20 ms VAD frame (at the line's rate); valid until the next push().
    bool next_vad_frame(std::span<const std::int16_t>& frame);

    // From now on every frame passes through `aec` (not owned; null: none) before the VAD and
    // the STT get it. It works on whole 20 ms frames at its own line rate: the audio of a
    // message then goes on in whole frames (the rest at most 20 ms later); a stream at
    // another rate is not cancelled.
    void use_echo_canceller(EchoCanceller* aec) { aec_ = aec; }

    std::uint32_t stt_rate_hz() const { return stt_rate_; }
    // Milliseconds of caller audio handed to the VAD so far.
    std::uint64_t vad_ms() const { return vad_ms_; }

  private:
    Status ensure_rate(std::uint32_t in_rate);
    void cancel_echo();

    std::uint32_t stt_rate_;
    std::uint32_t in_rate_ = 0;
    std::size_t frame_samples_ = 0;           // 20 ms at in_rate_
    std::optional<audio::Resampler> to_stt_;  // absent when the STT takes the stream's rate

    std::vector<std::int16_t> mono_;
    std::vector<std::int16_t> vad_;  // line-rate audio not yet cut into frames, from vad_read_
    std::size_t vad_read_ = 0;
    std::vector<std::int16_t> stt_;
    std::uint64_t vad_ms_ = 0;

    EchoCanceller* aec_ = nullptr;
    std::vector<std::int16_t> aec_pending_;  // line audio short of a whole frame
};

}  // namespace ringoverbot::agent
