#include "agent/echo_canceller.hpp"

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include <algorithm>
#include <climits>
#include <cmath>

namespace ringoverbot::agent {
namespace {

// Slack beyond the queued audio and the tail: how far the caller's timeline may lag the
// bot's before reference is refused (a caller stream that stalls while the bot talks).
constexpr std::uint32_t kSlackMs = 2000;
// A bot frame at least this loud leaves an echo above digital silence on any line the echo gate
// would need the filter for (return loss under ~30 dB).
constexpr double kAudibleBotDbfs = -40.0;

double level_dbfs(std::span<const std::int16_t> frame) {
    double sum = 0.0;
    for (const auto s : frame) sum += static_cast<double>(s) * static_cast<double>(s);
    const double rms = std::sqrt(sum / static_cast<double>(frame.size())) / 32768.0;
    return rms <= 1e-6 ? -120.0 : 20.0 * std::log10(rms);
}

bool digital_silence(std::span<const std::int16_t> frame, std::int16_t peak) {
    for (const auto s : frame)
        if (s > peak || s < -peak) return false;
    return true;
}

std::size_t slot(std::int64_t pos, std::size_t size) {
    const auto n = static_cast<std::int64_t>(size);
    return static_cast<std::size_t>(((pos % n) + n) % n);
}

}  // namespace

struct EchoCanceller::SpeexState {
    int frame = 0, tail = 0, rate = 0;
    SpeexEchoState* echo = nullptr;  // while allocated (allocate_filter)
    SpeexPreprocessState* denoise = nullptr;
    void destroy_echo() {
        if (echo != nullptr) speex_echo_state_destroy(echo);
        echo = nullptr;
    }
    ~SpeexState() {
        if (denoise != nullptr) speex_preprocess_state_destroy(denoise);
        destroy_echo();
    }
};

Result<std::unique_ptr<EchoCanceller>> EchoCanceller::create(const EchoCancellerConfig& c) {
    const std::uint32_t ref_rate = c.reference_rate_hz == 0 ? c.line_rate_hz : c.reference_rate_hz;
    if (c.line_rate_hz == 0 || c.line_rate_hz * kFrameMs % 1000 != 0 || c.line_rate_hz > 48000)
        return Result<std::unique_ptr<EchoCanceller>>(
            Errc::invalid_argument, "echo canceller: a line rate without 20 ms frames");
    if (ref_rate > 48000)
        return Result<std::unique_ptr<EchoCanceller>>(
            Errc::invalid_argument, "echo canceller: reference rate out of range");
    if (c.tail_ms < 20 || c.tail_ms > 2000)
        return Result<std::unique_ptr<EchoCanceller>>(Errc::invalid_argument,
                                                      "echo canceller: tail_ms must be 20..2000");
    const int frame = static_cast<int>(c.line_rate_hz * kFrameMs / 1000);
    const int tail = static_cast<int>(std::uint64_t{c.line_rate_hz} * c.tail_ms / 1000);
    auto speex = std::make_unique<SpeexState>();
    int rate = static_cast<int>(c.line_rate_hz);
    speex->frame = frame;
    speex->tail = tail;
    speex->rate = rate;
    if (c.noise_suppression) {
        speex->denoise = speex_preprocess_state_init(frame, rate);
        if (speex->denoise == nullptr)
            return Result<std::unique_ptr<EchoCanceller>>(Errc::internal,
                                                          "speex_preprocess_state_init failed");
        int on = 1, off = 0;
        speex_preprocess_ctl(speex->denoise, SPEEX_PREPROCESS_SET_DENOISE, &on);
        speex_preprocess_ctl(speex->denoise, SPEEX_PREPROCESS_SET_AGC, &off);
        speex_preprocess_ctl(speex->denoise, SPEEX_PREPROCESS_SET_VAD, &off);
        speex_preprocess_ctl(speex->denoise, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    }
    std::unique_ptr<EchoCanceller> aec(new EchoCanceller(c, std::move(speex)));
    if (ref_rate != c.line_rate_hz) {
        auto r =
            audio::Resampler::create(ref_rate, c.line_rate_hz, 1, audio::ResampleQuality::voip);
        if (!r) return r.error();
        aec->to_line_.emplace(std::move(r.value()));
        // The largest chunk the pacer sends is 500 ms; keep room for it so on_sent never grows.
        aec->resampled_.reserve(aec->to_line_->max_output(ref_rate / 2) + frame);
    }
    return aec;
}

EchoCanceller::EchoCanceller(const EchoCancellerConfig& c, std::unique_ptr<SpeexState> speex)
    : rate_(c.line_rate_hz),
      frame_(c.line_rate_hz * kFrameMs / 1000),
      tail_samples_(std::int64_t{c.line_rate_hz} * c.tail_ms / 1000),
      cancel_echo_(c.cancel_echo),
      ring_samples_(std::size_t{c.line_rate_hz} * (c.max_queued_ms + c.tail_ms + kSlackMs) / 1000),
      release_samples_(std::int64_t{c.line_rate_hz} * kReleaseMs / 1000),
      speex_(std::move(speex)),
      ref_frame_(frame_),
      out_frame_(frame_),
      erle_(kErleWindow),
      erle_sorted_(kErleWindow) {}

EchoCanceller::~EchoCanceller() = default;

bool EchoCanceller::filter_allocated() const {
    return speex_->echo != nullptr;
}

bool EchoCanceller::allocate_filter() {
    if (speex_->echo != nullptr) return true;
    speex_->echo = speex_echo_state_init(speex_->frame, speex_->tail);
    if (speex_->echo == nullptr) return false;
    speex_echo_ctl(speex_->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &speex_->rate);
    ring_.assign(ring_samples_, 0);
    return true;
}

void EchoCanceller::release_filter() {
    speex_->destroy_echo();
    no_echo_ = false;  // the next filter looks at the line afresh
    silent_while_playing_ = 0;
    std::vector<std::int16_t>().swap(ring_);
}

void EchoCanceller::start_timeline(std::int64_t t_us) {
    epoch_us_ = t_us;
    // The caller's first samples were captured a little before they arrived.
    read_end_ = -static_cast<std::int64_t>(rate_);
}

std::int64_t EchoCanceller::position_of(std::int64_t t_us) const {
    return (t_us - epoch_us_) * rate_ / 1000000;
}

void EchoCanceller::write_reference(std::int64_t pos, std::span<const std::int16_t> samples) {
    // Only ahead of what was read, and never so far ahead that a slot still unread is reused.
    const auto size = static_cast<std::int64_t>(ring_.size());
    const auto n = static_cast<std::int64_t>(samples.size());
    // The part of [pos, pos + n) inside [read_end_, read_end_ + size), written with one
    // wrapping index (a division per sample was most of this function).
    const std::int64_t from = std::max(pos, read_end_);
    const std::int64_t to = std::min(pos + n, read_end_ + size);
    std::size_t at = from < to ? slot(from, ring_.size()) : 0;
    for (std::int64_t p = from; p < to; ++p) {
        ring_[at] = samples[static_cast<std::size_t>(p - pos)];
        if (++at == ring_.size()) at = 0;
    }
    if (from < to)
        reference_end_ = std::max(reference_end_, pos + static_cast<std::int64_t>(samples.size()));
}

void EchoCanceller::zero_reference(std::int64_t from, std::int64_t to) {
    if (from >= to) return;
    const std::size_t at = slot(from, ring_.size());
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(to - from, ring_.size()));
    const std::size_t first = std::min(n, ring_.size() - at);
    std::fill_n(ring_.begin() + static_cast<std::ptrdiff_t>(at), first, std::int16_t{0});
    std::fill_n(ring_.begin(), n - first, std::int16_t{0});
}

void EchoCanceller::on_sent(std::int64_t start_us, std::span<const std::int16_t> samples) {
    if (samples.empty() || !cancel_echo_ || !allocate_filter()) return;
    if (epoch_us_ < 0) start_timeline(start_us);
    std::int64_t pos = position_of(start_us);
    if (!to_line_) {
        write_reference(pos, samples);
        return;
    }
    // A chunk that follows the last one on the playout clock continues the resampler's stream
    // where it ended (its output length is not exactly proportional chunk by chunk).
    if (next_ref_pos_ >= 0 && std::abs(pos - next_ref_pos_) < static_cast<std::int64_t>(frame_))
        pos = next_ref_pos_;
    resampled_.clear();
    if (!to_line_->process_append(samples, resampled_)) return;
    write_reference(pos, resampled_);
    next_ref_pos_ = pos + static_cast<std::int64_t>(resampled_.size());
}

void EchoCanceller::on_break(std::int64_t now_us) {
    if (epoch_us_ < 0 || ring_.empty()) return;
    const std::int64_t from = std::max(position_of(now_us), read_end_);
    const std::int64_t to =
        std::min(reference_end_, read_end_ + static_cast<std::int64_t>(ring_.size()));
    zero_reference(from, to);
    reference_end_ = std::min(reference_end_, std::max(position_of(now_us), read_end_));
    next_ref_pos_ = -1;
}

void EchoCanceller::on_caller_audio(std::int64_t now_us, std::size_t samples) {
    if (epoch_us_ < 0) start_timeline(now_us);
    caller_received_ += samples;
    const std::int64_t estimate =
        now_us - static_cast<std::int64_t>(caller_received_ * 1000000 / rate_);
    // The earliest estimate is the least delayed; one far later means the stream stalled (or
    // the clocks drifted): start again from it.
    if (!anchored_ || estimate < anchor_us_ || estimate - anchor_us_ > 500000)
        anchor_us_ = estimate;
    anchored_ = true;
}

bool EchoCanceller::process(std::span<std::int16_t> frame) {
    ++frames_;
    if (frame.size() != frame_ || !anchored_) return false;
    const std::int64_t pos = position_of(anchor_us_) + static_cast<std::int64_t>(caller_processed_);
    caller_processed_ += frame_;
    const std::int64_t end = pos + static_cast<std::int64_t>(frame_);
    if (ring_.empty()) {  // the filter is released: no reference to read, nothing to cancel
        read_end_ = std::max(read_end_, end);
        if (speex_->denoise != nullptr) {
            speex_preprocess_ctl(speex_->denoise, SPEEX_PREPROCESS_SET_ECHO_STATE, nullptr);
            speex_preprocess_run(speex_->denoise, frame.data());
        }
        return false;
    }
    // Reference skipped over (the timeline jumped ahead) is dropped, never read a ring later.
    if (pos > read_end_) {
        const std::int64_t stop =
            std::min(pos, read_end_ + static_cast<std::int64_t>(ring_.size()));
        zero_reference(read_end_, stop);
        read_end_ = pos;
    }
    // This frame's reference, taken out of the ring.
    bool playing = false;
    std::size_t at = slot(pos, ring_.size());
    for (std::size_t i = 0; i < frame_; ++i, at = at + 1 == ring_.size() ? 0 : at + 1) {
        const std::int64_t p = pos + static_cast<std::int64_t>(i);
        if (p < read_end_) {  // read already (the anchor moved back a little): silence
            ref_frame_[i] = 0;
            continue;
        }
        std::int16_t& s = ring_[at];
        ref_frame_[i] = s;
        playing = playing || s != 0;
        s = 0;
    }
    if (playing) last_played_ = end;
    // The filter runs while the bot plays and for one tail after (its echo may still come).
    const bool active = cancel_echo_ && pos < last_played_ + tail_samples_;
    if (active && !was_active_) {
        // The filter restarts: what it takes off at the start of a reply is measured anew
        // (its first frames after a pause leave more echo than it took off before).
        erle_count_ = erle_next_ = 0;
        reduction_db_ = 0.0;
    }
    was_active_ = active;
    if (active && !no_echo_) {
        if (!digital_silence(frame, kSilentLinePeak)) {
            silent_while_playing_ = 0;
        } else if (playing && level_dbfs(ref_frame_) >= kAudibleBotDbfs) {
            // Only the bot's speech counts: the echo of its pauses may well be digital silence.
            silent_while_playing_ += static_cast<std::int64_t>(frame_);
            no_echo_ = silent_while_playing_ > tail_samples_;
        }
    }
    const bool run_filter = active && !no_echo_;
    if (run_filter) {
        speex_echo_cancellation(speex_->echo, frame.data(), ref_frame_.data(), out_frame_.data());
        // Counted only where the bot plays and the line is loud with it, yet no louder than
        // what is played (an echo never is: louder is the caller, whom the filter leaves).
        const double in_dbfs = level_dbfs(frame);
        if (playing && in_dbfs >= kEchoPresentDbfs && in_dbfs <= level_dbfs(ref_frame_))
            measure_reduction(in_dbfs, level_dbfs(out_frame_));
        std::copy(out_frame_.begin(), out_frame_.end(), frame.begin());
        ++cancelled_frames_;
    }
    read_end_ = std::max(read_end_, end);
    // Long quiet, nothing queued to play: give the filter's memory back until the bot speaks.
    if (!active && reference_end_ <= read_end_ &&
        pos >= last_played_ + tail_samples_ + release_samples_)
        release_filter();
    if (speex_->denoise != nullptr) {
        // The canceller's residual-echo estimate is only current on the frames it ran on.
        SpeexEchoState* residual = run_filter ? speex_->echo : nullptr;
        speex_preprocess_ctl(speex_->denoise, SPEEX_PREPROCESS_SET_ECHO_STATE, residual);
        speex_preprocess_run(speex_->denoise, frame.data());
    }
    return run_filter;
}

void EchoCanceller::measure_reduction(double in_dbfs, double out_dbfs) {
    erle_[erle_next_] = std::clamp(in_dbfs - out_dbfs, 0.0, kMaxReductionDb);
    erle_next_ = (erle_next_ + 1) % erle_.size();
    erle_count_ = std::min(erle_count_ + 1, erle_.size());
    if (erle_count_ < kErleConverged) return;
    // The 25th percentile: the filter's steady figure, not its best frames; a barge-in's
    // double talk (little taken off) needs a quarter of the window to move it.
    std::copy_n(erle_.begin(), erle_count_, erle_sorted_.begin());
    const auto q = erle_sorted_.begin() + static_cast<std::ptrdiff_t>(erle_count_ / 4);
    std::nth_element(erle_sorted_.begin(), q,
                     erle_sorted_.begin() + static_cast<std::ptrdiff_t>(erle_count_));
    reduction_db_ = *q;
}

}  // namespace ringoverbot::agent
