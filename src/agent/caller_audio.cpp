#include "agent/caller_audio.hpp"

#include <algorithm>

#include "agent/echo_canceller.hpp"

namespace ringoverbot::agent {

Status CallerAudio::ensure_rate(std::uint32_t in_rate) {
    if (in_rate == in_rate_) return {};
    if (in_rate * kFrameMs % 1000 != 0)
        return Status(Errc::invalid_argument, "audio rate without whole 20 ms frames");
    to_stt_.reset();
    in_rate_ = 0;
    vad_.clear();  // a new rate starts a new frame grid
    aec_pending_.clear();
    vad_read_ = 0;
    if (stt_rate_ != in_rate) {
        // speexdsp's VoIP filter: flatter over the phone band than sinc_fastest, for a tenth
        // of its cost on every frame of every call (audio.hpp).
        auto r = audio::Resampler::create(in_rate, stt_rate_, 1, audio::ResampleQuality::voip);
        if (!r) return r.error();
        to_stt_.emplace(std::move(r.value()));
    }
    in_rate_ = in_rate;
    frame_samples_ = in_rate * kFrameMs / 1000;
    return {};
}

Status CallerAudio::push(std::span<const std::int16_t> interleaved,
                         const streamer::AudioFormat& format) {
    if (format.channels == 0 || format.sample_rate_hz == 0)
        return Status(Errc::invalid_argument, "audio format without channels or rate");
    if (auto st = ensure_rate(format.sample_rate_hz); !st) return st;

    const std::size_t frames = interleaved.size() / format.channels;
    mono_.resize(frames);
    if (format.channels == 1)
        std::copy(interleaved.begin(), interleaved.begin() + static_cast<std::ptrdiff_t>(frames),
                  mono_.begin());
    else
        audio::extract_channel(interleaved, format.channels, 0, mono_);  // caller = left
    if (aec_ != nullptr && aec_->frame_samples() == frame_samples_) cancel_echo();

    if (vad_read_ > 0) {  // forget the frames already handed out (a move, not an allocation)
        vad_.erase(vad_.begin(), vad_.begin() + static_cast<std::ptrdiff_t>(vad_read_));
        vad_read_ = 0;
    }
    vad_.insert(vad_.end(), mono_.begin(), mono_.end());
    if (to_stt_) {
        stt_.clear();
        if (auto st = to_stt_->process_append(mono_, stt_); !st) return st;
    }
    return {};
}

void CallerAudio::cancel_echo() {
    aec_pending_.insert(aec_pending_.end(), mono_.begin(), mono_.end());
    const std::size_t whole = aec_pending_.size() / frame_samples_ * frame_samples_;
    for (std::size_t off = 0; off < whole; off += frame_samples_)
        aec_->process(std::span<std::int16_t>(aec_pending_).subspan(off, frame_samples_));
    mono_.assign(aec_pending_.begin(), aec_pending_.begin() + static_cast<std::ptrdiff_t>(whole));
    aec_pending_.erase(aec_pending_.begin(),
                       aec_pending_.begin() + static_cast<std::ptrdiff_t>(whole));
}

std::span<const std::int16_t> CallerAudio::stt_samples() const {
    if (to_stt_) return stt_;
    return mono_;
}

bool CallerAudio::next_vad_frame(std::span<const std::int16_t>& frame) {
    if (frame_samples_ == 0 || vad_.size() - vad_read_ < frame_samples_) return false;
    frame = std::span<const std::int16_t>(vad_).subspan(vad_read_, frame_samples_);
    vad_read_ += frame_samples_;
    vad_ms_ += kFrameMs;
    return true;
}

}  // namespace ringoverbot::agent
