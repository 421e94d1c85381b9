// The caller's line with the bot's own voice taken out: an adaptive echo canceller (speexdsp's
// MDF filter, BSD) whose reference is exactly what the caller heard, placed in time by the
// playout clock.
//
// Two timelines meet here. The bot's audio is written at the host time the playout clock says
// it plays (on_sent; a break drops what had not started). The caller's audio is placed by its
// sample count from an anchor: the earliest arrival time seen, less the audio received so far
// (network jitter only ever makes a message late, so the minimum is the steadiest estimate of
// when each sample was captured). For every 20 ms caller frame the canceller reads the reference
// that played over the same 20 ms; the echo comes back later (the line's round trip plus the
// caller's room or handset), and the adaptive filter finds that delay anywhere within
// `tail_ms`. The VAD, the barge-in detection and the STT then all get the cancelled frame, and
// the echo gate (EchoReference) stays behind it as a second line.
//
// Cost: the filter runs only while the bot has played within the last tail (a silent call, or
// a caller speaking to a quiet bot, costs a ring lookup per frame). It keeps running for one
// tail after the bot stops, so that its history holds only silence when it pauses and the next
// reply starts clean. The filter and the reference ring (together ~150 KiB at 8 kHz with a
// 400 ms tail) exist only around the bot's speech: allocated by the first on_sent(), freed
// once the bot has been quiet for kReleaseMs past the tail (a silent call after its greeting
// holds neither; a caller answering within that time keeps the filter's adaptation for the
// next reply). process() allocates nothing.
//
// The echo gate behind it (EchoReference + EnergyVad) expects the echo at the line's return
// loss below the bot; once the filter has converged the echo is weaker by what the filter takes
// off, so the canceller measures that (echo_reduction_db(): its ERLE, input over output level,
// on the frames where the bot plays and the line is loud with its echo but not louder than
// what is played, as a low percentile over the last
// second and a half so that a caller talking over the bot, where the filter takes little off,
// does not pull it down within a barge-in's confirmation) and the gate lowers its expectation
// by it. Until enough such frames were seen since the filter last started (each reply after a
// pause starts anew) it reports 0 dB: the gate as without a canceller.
//
// A line that returned nothing but digital silence (every sample within kSilentLinePeak: the
// idle pattern of a G.711 trunk, a muted or silence-suppressed caller, the simulator without
// --echo-db) over more than a tail of the bot's speech (its frames above -40 dBFS) has no echo
// path: an echo would have come back within the tail. From then on the filter no longer runs,
// until it is released after the bot's long quiet: a caller who then talks over the bot reaches
// the VAD and the STT as they spoke. Running it there is what must not happen: a filter that
// never saw an echo adapts at its start-up rate, takes the caller's voice over the bot's
// reference for echo and removes part of it for as long as the reference lasts plus a tail (the
// demo's barge-in "transfer me to sales" reached the STT distorted over its first 0.7 s and was
// heard as "transfer me a um"). An echo path that appears later in the call (a caller who
// switches to a speakerphone) is then left to the echo gate behind, until the filter is freed.
//
// Noise suppression (speexdsp's preprocessor) is an option: it then runs on every frame, with
// the canceller's residual-echo estimate while the canceller runs.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/error.hpp"

namespace ringoverbot::agent {

struct EchoCancellerConfig {
    std::uint32_t line_rate_hz = 8000;    // the caller's audio (the filter runs at this rate)
    std::uint32_t reference_rate_hz = 0;  // the bot's audio; 0 = line_rate_hz
    std::uint32_t tail_ms = 400;          // longest echo delay + decay the filter covers
    std::uint32_t max_queued_ms = 1200;   // the most bot audio ever sent ahead of playout
    bool noise_suppression = false;       // speexdsp's denoiser on every frame
    bool cancel_echo = true;              // false: the denoiser alone (never the filter)
};

class EchoCanceller {
  public:
    static constexpr std::uint32_t kFrameMs = 20;
    // Bot silence (past the tail) after which the filter and the ring are freed.
    static constexpr std::uint32_t kReleaseMs = 5000;

    // invalid_argument for a rate without whole 20 ms frames or a tail outside 20..2000 ms.
    static Result<std::unique_ptr<EchoCanceller>> create(const EchoCancellerConfig& config);
    ~EchoCanceller();
    EchoCanceller(const EchoCanceller&) = delete;
    EchoCanceller& operator=(const EchoCanceller&) = delete;

    // `samples` (at the reference rate) were sent and play from `start_us` on.
    void on_sent(std::int64_t start_us, std::span<const std::int16_t> samples);
    // A break at `now_us`: what had not started playing never will.
    void on_break(std::int64_t now_us);
    // `samples` of caller audio (at the line rate) arrived at `now_us`: anchors the caller's
    // timeline. Call it for every message, before its frames are processed.
    void on_caller_audio(std::int64_t now_us, std::size_t samples);
    // Cancels the next 20 ms caller frame in place (frame_samples() long, in arrival order).
    // Returns true when the filter ran on it.
    bool process(std::span<std::int16_t> frame);

    std::size_t frame_samples() const { return frame_; }
    std::uint32_t line_rate_hz() const { return rate_; }
    // Frames the filter ran on, and all frames processed.
    std::uint64_t cancelled_frames() const { return cancelled_frames_; }
    std::uint64_t frames() const { return frames_; }
    // What the filter takes off the echo (dB, 0..kMaxReductionDb) once converged, else 0.
    double echo_reduction_db() const { return reduction_db_; }

    static constexpr double kMaxReductionDb = 30.0;
    // Frames of the window (1.5 s) and how many must hold echo before a figure is given (0.6 s).
    static constexpr std::size_t kErleWindow = 75;
    static constexpr std::size_t kErleConverged = 30;
    // A frame counts when the line before the filter is at least this loud (the bot's echo).
    static constexpr double kEchoPresentDbfs = -50.0;
    // A frame whose samples all lie within +-kSilentLinePeak is digital silence (G.711's
    // smallest step is 8 in L16; -72 dBFS).
    static constexpr std::int16_t kSilentLinePeak = 8;
    // The line showed it has no echo path: the filter no longer runs.
    bool line_without_echo() const { return no_echo_; }
    // The filter and its reference ring are allocated (around the bot's speech only).
    bool filter_allocated() const;

  private:
    struct SpeexState;
    EchoCanceller(const EchoCancellerConfig& config, std::unique_ptr<SpeexState> speex);
    void start_timeline(std::int64_t t_us);
    std::int64_t position_of(std::int64_t t_us) const;
    void write_reference(std::int64_t pos, std::span<const std::int16_t> samples);
    void zero_reference(std::int64_t from, std::int64_t to);  // ring positions [from, to)
    bool allocate_filter();  // false: out of memory (the frame then passes uncancelled)
    void release_filter();

    std::uint32_t rate_;
    std::size_t frame_;
    std::int64_t tail_samples_;
    bool cancel_echo_;
    std::size_t ring_samples_;  // the ring's size while allocated
    std::int64_t release_samples_;
    std::unique_ptr<SpeexState> speex_;
    std::optional<audio::Resampler> to_line_;  // reference rate -> line rate, when they differ
    std::vector<std::int16_t> resampled_;

    // The reference, by line-rate sample position from epoch_us_; slots are zeroed once read.
    // Empty while the filter is released.
    std::vector<std::int16_t> ring_;
    std::vector<std::int16_t> ref_frame_, out_frame_;
    std::int64_t epoch_us_ = -1;
    std::int64_t read_end_ = INT64_MIN / 2;       // the reference is read (and zeroed) up to here
    std::int64_t reference_end_ = INT64_MIN / 2;  // end of the last bot audio written
    std::int64_t last_played_ = INT64_MIN / 2;    // end of the last frame with bot audio read
    std::int64_t next_ref_pos_ = -1;              // where a resampled stream continues
    std::int64_t anchor_us_ = 0;                  // capture time of caller sample 0
    bool anchored_ = false;
    std::uint64_t caller_received_ = 0;   // caller samples announced by on_caller_audio
    std::uint64_t caller_processed_ = 0;  // caller samples through process()
    std::uint64_t cancelled_frames_ = 0, frames_ = 0;
    void measure_reduction(double in_dbfs, double out_dbfs);
    // Per-frame reduction (dB) of the last kErleWindow echo frames, and a scratch copy.
    std::vector<double> erle_, erle_sorted_;
    std::size_t erle_next_ = 0, erle_count_ = 0;
    double reduction_db_ = 0.0;
    bool was_active_ = false;
    // Line samples of digital silence in a row over which the bot played (any sound resets it).
    std::int64_t silent_while_playing_ = 0;
    bool no_echo_ = false;  // that silence outlasted a tail: the line has no echo path
};

}  // namespace ringoverbot::agent
