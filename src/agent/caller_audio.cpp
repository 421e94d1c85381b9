#include "agent/caller_audio.hpp"

#include <algorithm>

namespace ringoverbot::agent {

Status CallerAudio::ensure_resamplers(std::uint32_t in_rate) {
    if (in_rate == in_rate_) return {};
    to_vad_.reset();
    to_stt_.reset();
    stt_uses_vad_ = false;
    in_rate_ = 0;
    if (in_rate != kVadRateHz) {
        // The energy VAD needs no filter quality; the STT does. When the STT takes 16 kHz too
        // it shares this audio, so it gets the good filter; otherwise linear is enough (and
        // costs a fraction of it on every frame of every call).
        const bool shared = stt_rate_ == kVadRateHz;
        auto r = audio::Resampler::create(
            in_rate, kVadRateHz, 1,
            shared ? audio::ResampleQuality::sinc_fastest : audio::ResampleQuality::linear);
        if (!r) return r.error();
        to_vad_.emplace(std::move(r.value()));
    }
    if (stt_rate_ != in_rate) {
        if (stt_rate_ == kVadRateHz) {
            stt_uses_vad_ = true;
        } else {
            auto r = audio::Resampler::create(in_rate, stt_rate_);
            if (!r) return r.error();
            to_stt_.emplace(std::move(r.value()));
        }
    }
    in_rate_ = in_rate;
    return {};
}

Status CallerAudio::push(std::span<const std::int16_t> interleaved,
                         const streamer::AudioFormat& format) {
    if (format.channels == 0 || format.sample_rate_hz == 0)
        return Status(Errc::invalid_argument, "audio format without channels or rate");
    if (auto st = ensure_resamplers(format.sample_rate_hz); !st) return st;

    const std::size_t frames = interleaved.size() / format.channels;
    mono_.resize(frames);
    if (format.channels == 1)
        std::copy(interleaved.begin(), interleaved.begin() + static_cast<std::ptrdiff_t>(frames),
                  mono_.begin());
    else
        audio::extract_channel(interleaved, format.channels, 0, mono_);  // caller = left

    if (vad_read_ > 0) {  // forget the frames already handed out (a move, not an allocation)
        vad_.erase(vad_.begin(), vad_.begin() + static_cast<std::ptrdiff_t>(vad_read_));
        vad_read_ = 0;
    }
    vad_new_from_ = vad_.size();
    if (to_vad_) {
        if (auto st = to_vad_->process_append(mono_, vad_); !st) return st;
    } else {
        vad_.insert(vad_.end(), mono_.begin(), mono_.end());
    }
    if (to_stt_) {
        stt_.clear();
        if (auto st = to_stt_->process_append(mono_, stt_); !st) return st;
    }
    return {};
}

std::span<const std::int16_t> CallerAudio::stt_samples() const {
    if (to_stt_) return stt_;
    if (stt_uses_vad_) return std::span<const std::int16_t>(vad_).subspan(vad_new_from_);
    return mono_;
}

bool CallerAudio::next_vad_frame(std::span<const std::int16_t>& frame) {
    if (vad_.size() - vad_read_ < kFrameSamples) return false;
    frame = std::span<const std::int16_t>(vad_).subspan(vad_read_, kFrameSamples);
    vad_read_ += kFrameSamples;
    vad_ms_ += kFrameMs;
    return true;
}

}  // namespace ringoverbot::agent
