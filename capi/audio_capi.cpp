// The audio section of the C ABI: thin wrappers over ringoverbot::audio, each body in
// capi::guard so no exception (bad_alloc from a vector) crosses into C.
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "guard.hpp"
#include "ringoverbot.h"
#include "ringoverbot/audio.hpp"

namespace audio = ringoverbot::audio;
using ringoverbot::Errc;
using ringoverbot::capi::guard;
using ringoverbot::capi::to_code;

struct rob_resampler {
    audio::Resampler impl;
};
struct rob_opus_encoder {
    audio::OpusEncoder impl;
};
struct rob_opus_decoder {
    audio::OpusDecoder impl;
};
struct rob_dtmf_detector {
    audio::DtmfDetector impl;
    std::string pending;  // keys detected but not yet handed out (the caller's cap was short)
};

namespace {

// Hands a vector's samples to the caller in std::malloc'd memory (rob_free releases it).
int give_samples(const std::vector<std::int16_t>& v, int16_t** samples, size_t* count) {
    const std::size_t bytes = v.size() * sizeof(std::int16_t);
    void* mem = std::malloc(bytes == 0 ? 1 : bytes);
    if (mem == nullptr) return ROB_ERR_NOMEM;
    if (bytes != 0) std::memcpy(mem, v.data(), bytes);
    *samples = static_cast<int16_t*>(mem);
    *count = v.size();
    return ROB_OK;
}

int finish_wav_read(const ringoverbot::Result<audio::WavAudio>& r, int16_t** samples,
                    size_t* sample_count, uint32_t* rate_hz, uint32_t* channels) {
    if (!r) return to_code(r.code());
    const int rc = give_samples(r->samples, samples, sample_count);
    if (rc != ROB_OK) return rc;
    if (rate_hz != nullptr) *rate_hz = r->sample_rate_hz;
    if (channels != nullptr) *channels = r->channels;
    return ROB_OK;
}

}  // namespace

extern "C" {

ROB_API int rob_g711_encode(int law, const int16_t* pcm, size_t n, uint8_t* out) {
    return guard([&] {
        if (law != ROB_LAW_ULAW && law != ROB_LAW_ALAW) return ROB_ERR_INVALID_ARGUMENT;
        if (n == 0) return ROB_OK;
        if (pcm == nullptr || out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (law == ROB_LAW_ULAW) {
            audio::ulaw_encode({pcm, n}, {out, n});
        } else {
            audio::alaw_encode({pcm, n}, {out, n});
        }
        return ROB_OK;
    });
}

ROB_API int rob_g711_decode(int law, const uint8_t* in, size_t n, int16_t* pcm) {
    return guard([&] {
        if (law != ROB_LAW_ULAW && law != ROB_LAW_ALAW) return ROB_ERR_INVALID_ARGUMENT;
        if (n == 0) return ROB_OK;
        if (in == nullptr || pcm == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (law == ROB_LAW_ULAW) {
            audio::ulaw_decode({in, n}, {pcm, n});
        } else {
            audio::alaw_decode({in, n}, {pcm, n});
        }
        return ROB_OK;
    });
}

ROB_API int rob_resampler_create(uint32_t in_rate_hz, uint32_t out_rate_hz, uint32_t channels,
                                 int quality, rob_resampler** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (quality < ROB_RESAMPLE_SINC_FASTEST || quality > ROB_RESAMPLE_VOIP)
            return ROB_ERR_INVALID_ARGUMENT;
        auto r = audio::Resampler::create(in_rate_hz, out_rate_hz, channels,
                                          static_cast<audio::ResampleQuality>(quality));
        if (!r) return to_code(r.code());
        *out = new rob_resampler{std::move(r.value())};
        return ROB_OK;
    });
}

ROB_API void rob_resampler_destroy(rob_resampler* r) {
    delete r;
}

ROB_API size_t rob_resampler_max_output(const rob_resampler* r, size_t in_frames) {
    if (r == nullptr) return 0;
    return r->impl.max_output(in_frames);
}

ROB_API int rob_resampler_process(rob_resampler* r, const int16_t* in, size_t in_frames,
                                  int16_t* out, size_t out_cap_frames, size_t* out_frames,
                                  int last) {
    return guard([&] {
        if (r == nullptr || out_frames == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if ((in == nullptr && in_frames != 0) || (out == nullptr && out_cap_frames != 0))
            return ROB_ERR_INVALID_ARGUMENT;
        const std::size_t ch = r->impl.channels();
        if (in_frames > std::numeric_limits<std::size_t>::max() / ch ||
            out_cap_frames > std::numeric_limits<std::size_t>::max() / ch)
            return ROB_ERR_INVALID_ARGUMENT;
        const std::span<const std::int16_t> in_span(in, in == nullptr ? 0 : in_frames * ch);
        const std::span<std::int16_t> out_span(out, out == nullptr ? 0 : out_cap_frames * ch);
        auto n = r->impl.process(in_span, out_span, last != 0);
        if (!n) {
            if (n.code() == Errc::buffer_too_small) *out_frames = r->impl.max_output(in_frames);
            return to_code(n.code());
        }
        *out_frames = n.value();
        return ROB_OK;
    });
}

ROB_API int rob_resampler_reset(rob_resampler* r) {
    return guard([&] {
        if (r == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        return to_code(r->impl.reset().code());
    });
}

ROB_API int rob_opus_encoder_create(uint32_t rate_hz, uint32_t channels, uint32_t bitrate_bps,
                                    rob_opus_encoder** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        auto e = audio::OpusEncoder::create(rate_hz, channels, bitrate_bps);
        if (!e) return to_code(e.code());
        *out = new rob_opus_encoder{std::move(e.value())};
        return ROB_OK;
    });
}

ROB_API void rob_opus_encoder_destroy(rob_opus_encoder* e) {
    delete e;
}

ROB_API int rob_opus_encode(rob_opus_encoder* e, const int16_t* pcm, size_t frame_samples,
                            uint8_t* out, size_t cap, size_t* out_len) {
    return guard([&] {
        if (e == nullptr || pcm == nullptr || out == nullptr || out_len == nullptr)
            return ROB_ERR_INVALID_ARGUMENT;
        if (frame_samples > 48000) return ROB_ERR_INVALID_ARGUMENT;  // > 1 s: never a frame
        const std::size_t ch = e->impl.channels();
        auto n = e->impl.encode({pcm, frame_samples * ch}, {out, cap});
        if (!n) return to_code(n.code());
        *out_len = n.value();
        return ROB_OK;
    });
}

ROB_API int rob_opus_decoder_create(uint32_t rate_hz, uint32_t channels, rob_opus_decoder** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        auto d = audio::OpusDecoder::create(rate_hz, channels);
        if (!d) return to_code(d.code());
        *out = new rob_opus_decoder{std::move(d.value())};
        return ROB_OK;
    });
}

ROB_API void rob_opus_decoder_destroy(rob_opus_decoder* d) {
    delete d;
}

ROB_API int rob_opus_decode(rob_opus_decoder* d, const uint8_t* packet, size_t len, int16_t* pcm,
                            size_t cap_frames, size_t* out_frames) {
    return guard([&] {
        if (d == nullptr || pcm == nullptr || out_frames == nullptr)
            return ROB_ERR_INVALID_ARGUMENT;
        const std::size_t ch = d->impl.channels();
        if (cap_frames > std::numeric_limits<std::size_t>::max() / ch)
            return ROB_ERR_INVALID_ARGUMENT;
        const std::span<const std::uint8_t> pkt(packet, packet == nullptr ? 0 : len);
        auto n = d->impl.decode(pkt, {pcm, cap_frames * ch});
        if (!n) return to_code(n.code());
        *out_frames = n.value();
        return ROB_OK;
    });
}

ROB_API int rob_wav_read_file(const char* path, int16_t** samples, size_t* sample_count,
                              uint32_t* rate_hz, uint32_t* channels) {
    return guard([&] {
        if (path == nullptr || samples == nullptr || sample_count == nullptr)
            return ROB_ERR_INVALID_ARGUMENT;
        return finish_wav_read(audio::read_wav_file(path), samples, sample_count, rate_hz,
                               channels);
    });
}

ROB_API int rob_wav_read_memory(const uint8_t* data, size_t len, int16_t** samples,
                                size_t* sample_count, uint32_t* rate_hz, uint32_t* channels) {
    return guard([&] {
        if ((data == nullptr && len != 0) || samples == nullptr || sample_count == nullptr)
            return ROB_ERR_INVALID_ARGUMENT;
        return finish_wav_read(audio::parse_wav({data, data == nullptr ? 0 : len}), samples,
                               sample_count, rate_hz, channels);
    });
}

ROB_API int rob_wav_write_file(const char* path, const int16_t* samples, size_t sample_count,
                               uint32_t rate_hz, uint32_t channels) {
    return guard([&] {
        if (path == nullptr || (samples == nullptr && sample_count != 0))
            return ROB_ERR_INVALID_ARGUMENT;
        const std::span<const std::int16_t> s(samples, samples == nullptr ? 0 : sample_count);
        return to_code(audio::write_wav_file(path, s, rate_hz, channels).code());
    });
}

ROB_API int rob_wav_write_memory(const int16_t* samples, size_t sample_count, uint32_t rate_hz,
                                 uint32_t channels, uint8_t** out, size_t* out_len) {
    return guard([&] {
        if ((samples == nullptr && sample_count != 0) || out == nullptr || out_len == nullptr)
            return ROB_ERR_INVALID_ARGUMENT;
        const std::span<const std::int16_t> s(samples, samples == nullptr ? 0 : sample_count);
        auto bytes = audio::wav_bytes(s, rate_hz, channels);
        if (!bytes) return to_code(bytes.code());
        void* mem = std::malloc(bytes->size());
        if (mem == nullptr) return ROB_ERR_NOMEM;
        std::memcpy(mem, bytes->data(), bytes->size());
        *out = static_cast<uint8_t*>(mem);
        *out_len = bytes->size();
        return ROB_OK;
    });
}

ROB_API int rob_dtmf_generate(char digit, uint32_t rate_hz, uint32_t duration_ms, int16_t* pcm,
                              size_t cap, size_t* out_samples) {
    return guard([&] {
        if (out_samples == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        if (!audio::dtmf_valid_digit(digit) || rate_hz < 4000 || rate_hz > 384000)
            return ROB_ERR_INVALID_ARGUMENT;
        const std::size_t n =
            static_cast<std::size_t>(std::uint64_t{rate_hz} * duration_ms / 1000u);
        if (n > cap) {
            *out_samples = n;
            return ROB_ERR_BUFFER_TOO_SMALL;
        }
        if (pcm == nullptr && n != 0) return ROB_ERR_INVALID_ARGUMENT;
        const std::span<std::int16_t> out(pcm, pcm == nullptr ? 0 : n);
        const auto st = audio::dtmf_generate(digit, rate_hz, out);
        if (!st) return to_code(st.code());
        *out_samples = n;
        return ROB_OK;
    });
}

ROB_API int rob_dtmf_detector_create(uint32_t rate_hz, rob_dtmf_detector** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        auto d = audio::DtmfDetector::create(rate_hz);
        if (!d) return to_code(d.code());
        *out = new rob_dtmf_detector{std::move(d.value()), {}};
        return ROB_OK;
    });
}

ROB_API void rob_dtmf_detector_destroy(rob_dtmf_detector* d) {
    delete d;
}

// Keys that do not fit in `cap` stay queued and come first on the next call (n may be 0).
ROB_API int rob_dtmf_detector_feed(rob_dtmf_detector* d, const int16_t* pcm, size_t n, char* digits,
                                   size_t cap, size_t* n_digits) {
    return guard([&] {
        if (d == nullptr || n_digits == nullptr || (pcm == nullptr && n != 0) ||
            (digits == nullptr && cap != 0))
            return ROB_ERR_INVALID_ARGUMENT;
        if (n != 0) d->impl.feed({pcm, n}, d->pending);
        const std::size_t give = d->pending.size() < cap ? d->pending.size() : cap;
        if (give != 0) std::memcpy(digits, d->pending.data(), give);
        d->pending.erase(0, give);
        *n_digits = give;
        return ROB_OK;
    });
}

}  // extern "C"
