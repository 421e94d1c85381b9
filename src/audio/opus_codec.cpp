// RAII over libopus. Arguments are validated here, before libopus sees them, so misuse gives
// Errc::invalid_argument with a readable message instead of a bare OPUS_BAD_ARG.
#include <opus/opus.h>

#include <climits>
#include <optional>
#include <string>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

bool opus_rate_valid(std::uint32_t rate) {
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

::OpusEncoder* raw(const std::unique_ptr<detail::OpusEncoderHandle, detail::OpusCodecDeleter>& p) {
    return reinterpret_cast<::OpusEncoder*>(p.get());
}
::OpusDecoder* raw(const std::unique_ptr<detail::OpusDecoderHandle, detail::OpusCodecDeleter>& p) {
    return reinterpret_cast<::OpusDecoder*>(p.get());
}

Error opus_error(const char* what, int code) {
    return Error{Errc::codec, std::string("opus: ") + what + ": " + opus_strerror(code)};
}

// The rates and channel counts libopus accepts, checked before it is asked.
std::optional<Error> check_format(std::uint32_t rate_hz, unsigned channels) {
    if (!opus_rate_valid(rate_hz))
        return Error{Errc::invalid_argument, "opus: rate " + std::to_string(rate_hz) +
                                                 " Hz is not 8000/12000/16000/24000/48000"};
    if (channels != 1 && channels != 2)
        return Error{Errc::invalid_argument, "opus: channels must be 1 or 2"};
    return std::nullopt;
}

}  // namespace

bool opus_frame_size_valid(std::uint32_t rate_hz, std::size_t frames) noexcept {
    if (!opus_rate_valid(rate_hz)) return false;
    // 2.5 ms is rate/400 samples; valid frames are 1, 2, 4, 8, 16, 24 times that.
    const std::size_t unit = rate_hz / 400;
    for (std::size_t k : {1u, 2u, 4u, 8u, 16u, 24u}) {
        if (frames == unit * k) return true;
    }
    return false;
}

void detail::OpusCodecDeleter::operator()(detail::OpusEncoderHandle* e) const noexcept {
    if (e != nullptr) opus_encoder_destroy(reinterpret_cast<::OpusEncoder*>(e));
}
void detail::OpusCodecDeleter::operator()(detail::OpusDecoderHandle* d) const noexcept {
    if (d != nullptr) opus_decoder_destroy(reinterpret_cast<::OpusDecoder*>(d));
}

Result<OpusEncoder> OpusEncoder::create(std::uint32_t rate_hz, unsigned channels,
                                        std::uint32_t bitrate_bps) {
    if (auto bad = check_format(rate_hz, channels)) return *bad;
    int err = OPUS_OK;
    ::OpusEncoder* created = opus_encoder_create(
        static_cast<opus_int32>(rate_hz), static_cast<int>(channels), OPUS_APPLICATION_VOIP, &err);
    if (created == nullptr || err != OPUS_OK) {
        if (created != nullptr) opus_encoder_destroy(created);
        return opus_error("encoder_create", err);
    }
    OpusEncoder e;
    e.enc_.reset(reinterpret_cast<detail::OpusEncoderHandle*>(created));
    e.rate_ = rate_hz;
    e.channels_ = channels;
    if (bitrate_bps != 0) {
        const Status st = e.set_bitrate(bitrate_bps);
        if (!st) return st.error();
    }
    return e;
}

Status OpusEncoder::set_bitrate(std::uint32_t bitrate_bps) {
    if (!enc_) return Status{Errc::invalid_state, "opus: moved-from encoder"};
    // libopus clamps 500..512000; 0 means "back to the default" here.
    const opus_int32 value =
        bitrate_bps == 0 ? OPUS_AUTO
                         : static_cast<opus_int32>(bitrate_bps > 512000 ? 512000 : bitrate_bps);
    if (bitrate_bps != 0 && bitrate_bps < 500)
        return Status{Errc::invalid_argument, "opus: bitrate below 500 bps"};
    const int err = opus_encoder_ctl(raw(enc_), OPUS_SET_BITRATE(value));
    if (err != OPUS_OK) return opus_error("set_bitrate", err);
    return {};
}

int OpusEncoder::lookahead() const noexcept {
    if (!enc_) return 0;
    opus_int32 samples = 0;
    if (opus_encoder_ctl(raw(enc_), OPUS_GET_LOOKAHEAD(&samples)) != OPUS_OK) return 0;
    return samples;
}

Result<std::size_t> OpusEncoder::encode(std::span<const std::int16_t> pcm,
                                        std::span<std::uint8_t> out) {
    if (!enc_) return Error{Errc::invalid_state, "opus: moved-from encoder"};
    const std::size_t frames = pcm.size() / channels_;
    if (pcm.size() % channels_ != 0 || !opus_frame_size_valid(rate_, frames)) {
        return Error{Errc::invalid_argument, "opus: a frame of " + std::to_string(frames) +
                                                 " samples at " + std::to_string(rate_) +
                                                 " Hz is not 2.5/5/10/20/40/60 ms"};
    }
    if (out.empty()) return Error{Errc::buffer_too_small, "opus: empty output buffer"};
    const auto cap = static_cast<opus_int32>(out.size() > 1275 * 3 ? 1275 * 3 : out.size());
    const opus_int32 n =
        opus_encode(raw(enc_), pcm.data(), static_cast<int>(frames), out.data(), cap);
    if (n == OPUS_BUFFER_TOO_SMALL)
        return Error{Errc::buffer_too_small, "opus: packet does not fit the output buffer"};
    if (n < 0) return opus_error("encode", n);
    return static_cast<std::size_t>(n);
}

Result<OpusDecoder> OpusDecoder::create(std::uint32_t rate_hz, unsigned channels) {
    if (auto bad = check_format(rate_hz, channels)) return *bad;
    int err = OPUS_OK;
    ::OpusDecoder* created =
        opus_decoder_create(static_cast<opus_int32>(rate_hz), static_cast<int>(channels), &err);
    if (created == nullptr || err != OPUS_OK) {
        if (created != nullptr) opus_decoder_destroy(created);
        return opus_error("decoder_create", err);
    }
    OpusDecoder d;
    d.dec_.reset(reinterpret_cast<detail::OpusDecoderHandle*>(created));
    d.rate_ = rate_hz;
    d.channels_ = channels;
    return d;
}

Result<std::size_t> OpusDecoder::decode(std::span<const std::uint8_t> packet,
                                        std::span<std::int16_t> pcm) {
    if (!dec_) return Error{Errc::invalid_state, "opus: moved-from decoder"};
    const std::size_t cap_frames = pcm.size() / channels_;
    if (packet.empty()) {
        // Concealment: as long as the last frame, in whole 2.5 ms units that fit.
        const std::size_t unit = rate_ / 400;
        std::size_t frames = last_frames_ != 0 ? last_frames_ : rate_ / 50;
        if (frames > cap_frames) frames = cap_frames / unit * unit;
        if (frames == 0)
            return Error{Errc::buffer_too_small, "opus: no room for a concealment frame"};
        const int n = opus_decode(raw(dec_), nullptr, 0, pcm.data(), static_cast<int>(frames), 0);
        if (n < 0) return opus_error("decode (concealment)", n);
        return static_cast<std::size_t>(n);
    }
    if (packet.size() > 1275 * 48)  // far above any valid packet (120 ms of 1275-byte frames)
        return Error{Errc::codec, "opus: packet too large"};
    const auto len = static_cast<opus_int32>(packet.size());
    const int needed = opus_decoder_get_nb_samples(raw(dec_), packet.data(), len);
    if (needed < 0) return opus_error("decode", needed);
    if (static_cast<std::size_t>(needed) > cap_frames) {
        return Error{Errc::buffer_too_small,
                     "opus: packet holds " + std::to_string(needed) + " frames"};
    }
    const int cap = cap_frames > INT_MAX ? INT_MAX : static_cast<int>(cap_frames);
    const int n = opus_decode(raw(dec_), packet.data(), len, pcm.data(), cap, 0);
    if (n < 0) return opus_error("decode", n);
    last_frames_ = static_cast<std::size_t>(n);
    return static_cast<std::size_t>(n);
}

}  // namespace ringoverbot::audio
