// Streaming sample-rate conversion over libsamplerate's float API, or speexdsp's integer one for
// ResampleQuality::voip. The stream's totals (frames in, frames out) give a tight bound on what
// one call may produce, so callers can size their buffer once and process() can refuse before
// consuming anything.
#include <samplerate.h>
#include <speex/speex_resampler.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

constexpr std::size_t kMaxChunkFrames = std::size_t{1} << 20;
constexpr unsigned kMaxChannels = 64;

// The most input frames each converter holds back (its half filter length, measured with
// libsamplerate 0.2.2 over random chunkings: 21, 48, 145 and 1), with some headroom. When
// downsampling the unit is output frames instead, which is the smaller bound.
std::size_t hold_frames(ResampleQuality q) {
    switch (q) {
        case ResampleQuality::sinc_fastest:
            return 32;
        case ResampleQuality::sinc_medium:
            return 64;
        case ResampleQuality::sinc_best:
            return 192;
        case ResampleQuality::linear:
            return 4;
        case ResampleQuality::voip:
            return 0;  // asked from speexdsp at creation
    }
    return 192;
}

int converter_type(ResampleQuality q) {
    switch (q) {
        case ResampleQuality::sinc_fastest:
            return SRC_SINC_FASTEST;
        case ResampleQuality::sinc_medium:
            return SRC_SINC_MEDIUM_QUALITY;
        case ResampleQuality::sinc_best:
            return SRC_SINC_BEST_QUALITY;
        case ResampleQuality::linear:
            return SRC_LINEAR;
        case ResampleQuality::voip:
            return 0;  // not libsamplerate's
    }
    return -1;
}

// Fed after the last input to push speexdsp's filter tail out (it has no end-of-input flag).
constexpr std::int16_t kZeros[256] = {};

}  // namespace

void ResamplerDeleter::operator()(SRC_STATE_tag* state) const noexcept {
    if (state != nullptr) src_delete(state);
}

void ResamplerDeleter::operator()(SpeexResamplerState_* state) const noexcept {
    if (state != nullptr) speex_resampler_destroy(state);
}

Result<Resampler> Resampler::create(std::uint32_t in_rate_hz, std::uint32_t out_rate_hz,
                                    unsigned channels, ResampleQuality quality,
                                    std::size_t chunk_frames) {
    if (in_rate_hz == 0 || out_rate_hz == 0)
        return Error{Errc::invalid_argument, "resampler: sample rates must be > 0"};
    if (channels == 0 || channels > kMaxChannels)
        return Error{Errc::invalid_argument, "resampler: channels must be 1..64"};
    const double ratio = static_cast<double>(out_rate_hz) / static_cast<double>(in_rate_hz);
    if (src_is_valid_ratio(ratio) == 0)
        return Error{Errc::invalid_argument, "resampler: rate ratio outside 1/256..256"};
    const int type = converter_type(quality);
    if (type < 0) return Error{Errc::invalid_argument, "resampler: unknown quality"};
    if (chunk_frames == 0) chunk_frames = kDefaultChunkFrames;
    if (chunk_frames > kMaxChunkFrames) chunk_frames = kMaxChunkFrames;

    Resampler r;
    if (quality == ResampleQuality::voip) {
        int err = 0;
        SpeexResamplerState* raw = speex_resampler_init(channels, in_rate_hz, out_rate_hz,
                                                        SPEEX_RESAMPLER_QUALITY_VOIP, &err);
        if (raw == nullptr)
            return Error{Errc::codec,
                         std::string("resampler: speexdsp: ") + speex_resampler_strerror(err)};
        r.speex_.reset(raw);
        // Output frame k then sits at input time k / ratio, as with libsamplerate.
        speex_resampler_skip_zeros(raw);
    } else {
        int err = 0;
        SRC_STATE* raw = src_new(type, static_cast<int>(channels), &err);
        if (raw == nullptr) {
            return Error{Errc::codec, std::string("resampler: src_new: ") + src_strerror(err)};
        }
        r.state_.reset(raw);
    }
    r.in_rate_ = in_rate_hz;
    r.out_rate_ = out_rate_hz;
    r.channels_ = channels;
    r.ratio_ = ratio;
    r.chunk_frames_ = chunk_frames;
    r.hold_frames_ =
        r.speex_ ? static_cast<std::size_t>(speex_resampler_get_input_latency(r.speex_.get()))
                 : hold_frames(quality);
    if (r.speex_) return r;  // speexdsp works on the caller's buffers
    r.in_buf_.resize(chunk_frames * channels);
    // Room for one piece's output; process() loops if libsamplerate wants to give more.
    const auto out_frames =
        static_cast<std::size_t>(std::ceil(static_cast<double>(chunk_frames) * ratio)) + 64;
    r.out_buf_.resize(out_frames * channels);
    return r;
}

std::size_t Resampler::needed_output(std::size_t in_frames) const noexcept {
    // libsamplerate's sinc and linear converters place output frame k at input time k/ratio,
    // so the stream's total output never passes ceil(total input * ratio) (measured: +0 for
    // sinc, +1 for linear). The margin covers that.
    const double total_in = static_cast<double>(frames_in_) + static_cast<double>(in_frames);
    const double expected = std::ceil(total_in * ratio_);
    const double bound = expected + margin_frames() - static_cast<double>(frames_out_);
    return bound > 0.0 ? static_cast<std::size_t>(bound) : 0;
}

double Resampler::margin_frames() const noexcept {
    return 4.0 + std::ceil(ratio_);
}

std::size_t Resampler::max_output(std::size_t in_frames) const noexcept {
    // What `in_frames` give, plus everything the filter may still hold from earlier calls
    // (released by later calls or by the flush).
    const double now = std::ceil(static_cast<double>(in_frames) * ratio_);
    const double held =
        std::ceil(static_cast<double>(hold_frames_) * (ratio_ > 1.0 ? ratio_ : 1.0));
    return static_cast<std::size_t>(now + held + margin_frames());
}

Result<std::size_t> Resampler::process(std::span<const std::int16_t> in,
                                       std::span<std::int16_t> out, bool end_of_input) {
    if (!state_ && !speex_) return Error{Errc::invalid_state, "resampler: moved-from"};
    if (in.size() % channels_ != 0)
        return Error{Errc::invalid_argument, "resampler: input is not whole frames"};
    const std::size_t frames = in.size() / channels_;
    const std::size_t out_cap = out.size() / channels_;
    if (out_cap < needed_output(frames)) {
        return Error{Errc::buffer_too_small, "resampler: output needs " +
                                                 std::to_string(needed_output(frames)) + " frames"};
    }
    if (speex_) return process_speex(in, out_cap, out, end_of_input);
    if (frames == 0 && !end_of_input) return std::size_t{0};

    std::size_t written = 0;
    std::size_t pos = 0;
    const std::size_t out_buf_frames = out_buf_.size() / channels_;
    for (;;) {
        const std::size_t piece = frames - pos < chunk_frames_ ? frames - pos : chunk_frames_;
        const bool last_piece = pos + piece == frames;
        src_short_to_float_array(in.data() + pos * channels_, in_buf_.data(),
                                 static_cast<int>(piece * channels_));
        SRC_DATA d{};
        d.src_ratio = ratio_;
        d.end_of_input = (end_of_input && last_piece) ? 1 : 0;
        const float* next = in_buf_.data();
        long remaining = static_cast<long>(piece);
        for (;;) {
            d.data_in = next;
            d.input_frames = remaining;
            d.data_out = out_buf_.data();
            d.output_frames = static_cast<long>(out_buf_frames);
            const int err = src_process(state_.get(), &d);
            if (err != 0) {
                return Error{Errc::codec, std::string("resampler: ") + src_strerror(err)};
            }
            const auto gen = static_cast<std::size_t>(d.output_frames_gen);
            if (written + gen > out_cap) {
                // Not reachable while needed_output() holds; refuse rather than overrun.
                return Error{Errc::internal, "resampler: output bound exceeded"};
            }
            src_float_to_short_array(out_buf_.data(), out.data() + written * channels_,
                                     static_cast<int>(gen * channels_));
            written += gen;
            next += d.input_frames_used * channels_;
            remaining -= d.input_frames_used;
            if (remaining <= 0 && (d.end_of_input == 0 || gen == 0)) break;
            if (d.input_frames_used == 0 && gen == 0) break;  // no progress: never spin
        }
        pos += piece;
        if (last_piece) break;
    }
    frames_in_ += frames;
    frames_out_ += written;
    if (end_of_input) {
        const Status st = reset();
        if (!st) return st.error();
    }
    return written;
}

// The input is whole frames and `out` holds out_cap frames, at least needed_output() (process()).
Result<std::size_t> Resampler::process_speex(std::span<const std::int16_t> in, std::size_t out_cap,
                                             std::span<std::int16_t> out, bool end_of_input) {
    const std::size_t frames = in.size() / channels_;
    std::size_t written = 0;
    // Runs `count` frames from `from` through the filter, writing at most `limit` frames.
    auto run = [&](const std::int16_t* from, std::size_t count, std::size_t limit) -> Status {
        while (count > 0 && written < limit) {
            auto in_len = static_cast<spx_uint32_t>(std::min<std::size_t>(count, UINT32_MAX));
            auto out_len = static_cast<spx_uint32_t>(limit - written);
            const int err = speex_resampler_process_interleaved_int(
                speex_.get(), from, &in_len, out.data() + written * channels_, &out_len);
            if (err != RESAMPLER_ERR_SUCCESS)
                return Status{Errc::codec,
                              std::string("resampler: ") + speex_resampler_strerror(err)};
            if (in_len == 0 && out_len == 0) break;  // no progress: never spin
            written += out_len;
            from += static_cast<std::size_t>(in_len) * channels_;
            count -= in_len;
        }
        return {};
    };
    if (auto st = run(in.data(), frames, out_cap); !st) return st.error();
    frames_in_ += frames;
    if (end_of_input) {
        // The tail: zeros through the filter until the stream's output reaches its length.
        const auto expected =
            static_cast<std::size_t>(std::ceil(static_cast<double>(frames_in_) * ratio_));
        const std::size_t want = expected > frames_out_ + written ? expected - frames_out_ : 0;
        const std::size_t limit = std::min(out_cap, want);
        const std::size_t zero_frames = sizeof(kZeros) / sizeof(kZeros[0]) / channels_;
        std::size_t fed = 0;
        while (written < limit && fed <= hold_frames_ + zero_frames) {
            const std::size_t before = written;
            if (auto st = run(kZeros, zero_frames, limit); !st) return st.error();
            fed += zero_frames;
            if (written == before) break;
        }
    }
    frames_out_ += written;
    if (end_of_input) {
        const Status st = reset();
        if (!st) return st.error();
    }
    return written;
}

Status Resampler::process_append(std::span<const std::int16_t> in, std::vector<std::int16_t>& out,
                                 bool end_of_input) {
    if (in.size() % channels_ != 0)
        return Status{Errc::invalid_argument, "resampler: input is not whole frames"};
    const std::size_t old = out.size();
    out.resize(old + needed_output(in.size() / channels_) * channels_);
    auto r = process(in, std::span<std::int16_t>(out).subspan(old), end_of_input);
    if (!r) {
        out.resize(old);
        return r.error();
    }
    out.resize(old + r.value() * channels_);
    return {};
}

Status Resampler::reset() {
    if (speex_) {
        speex_resampler_reset_mem(speex_.get());
        speex_resampler_skip_zeros(speex_.get());
        frames_in_ = 0;
        frames_out_ = 0;
        return {};
    }
    if (!state_) return Status{Errc::invalid_state, "resampler: moved-from"};
    const int err = src_reset(state_.get());
    frames_in_ = 0;
    frames_out_ = 0;
    if (err != 0) return Status{Errc::codec, std::string("resampler: ") + src_strerror(err)};
    return {};
}

}  // namespace ringoverbot::audio
