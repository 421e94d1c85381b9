// RIFF/WAVE reading and writing. The parser only ever reads through bounds-checked helpers over
// the caller's span: chunk sizes come from the peer and are never trusted for arithmetic
// before being compared with the bytes that remain.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatFloat = 3;
constexpr std::uint16_t kFormatAlaw = 6;
constexpr std::uint16_t kFormatUlaw = 7;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
constexpr unsigned kMaxChannels = 256;

// The 14 bytes that follow the format tag in every KSDATAFORMAT_SUBTYPE_* GUID of the
// standard WAVE formats: xxxxxxxx-0000-0010-8000-00aa00389b71.
constexpr std::uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                        0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

std::uint16_t le16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}
bool tag_is(const std::uint8_t* p, const char* tag) {
    return std::memcmp(p, tag, 4) == 0;
}

std::int16_t clamp16(std::int64_t v) {
    if (v > 32767) return 32767;
    if (v < -32768) return -32768;
    return static_cast<std::int16_t>(v);
}

std::int16_t from_double(double x) {
    if (!(x == x)) return 0;
    const double s = std::nearbyint(x * 32768.0);
    if (s >= 32767.0) return 32767;
    if (s <= -32768.0) return -32768;
    return static_cast<std::int16_t>(s);
}

struct Fmt {
    std::uint16_t format = 0;  // resolved (the sub-format for EXTENSIBLE)
    unsigned channels = 0;
    std::uint32_t rate = 0;
    std::uint16_t block_align = 0;
    std::uint16_t bits = 0;
};

Result<Fmt> parse_fmt(const std::uint8_t* p, std::size_t size) {
    if (size < 16) return Error{Errc::bad_wav, "wav: fmt chunk shorter than 16 bytes"};
    Fmt f;
    f.format = le16(p);
    f.channels = le16(p + 2);
    f.rate = le32(p + 4);
    f.block_align = le16(p + 12);
    f.bits = le16(p + 14);
    if (f.format == kFormatExtensible) {
        if (size < 40) return Error{Errc::bad_wav, "wav: WAVE_FORMAT_EXTENSIBLE fmt too short"};
        const std::uint16_t cb_size = le16(p + 16);
        if (cb_size < 22) return Error{Errc::bad_wav, "wav: WAVE_FORMAT_EXTENSIBLE cbSize < 22"};
        if (std::memcmp(p + 26, kGuidTail, sizeof kGuidTail) != 0)
            return Error{Errc::unsupported, "wav: unknown WAVE_FORMAT_EXTENSIBLE sub-format"};
        f.format = le16(p + 24);
    }
    if (f.channels == 0) return Error{Errc::bad_wav, "wav: zero channels"};
    if (f.channels > kMaxChannels) return Error{Errc::bad_wav, "wav: more than 256 channels"};
    if (f.rate == 0) return Error{Errc::bad_wav, "wav: sample rate 0"};

    bool known = false;
    switch (f.format) {
        case kFormatPcm:
            known = f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32;
            break;
        case kFormatFloat:
            known = f.bits == 32 || f.bits == 64;
            break;
        case kFormatAlaw:
        case kFormatUlaw:
            known = f.bits == 8;
            break;
        default:
            return Error{Errc::unsupported,
                         "wav: unsupported format tag " + std::to_string(f.format)};
    }
    if (!known) {
        return Error{Errc::unsupported, "wav: unsupported " + std::to_string(f.bits) +
                                            "-bit samples for format " + std::to_string(f.format)};
    }
    const std::size_t frame_bytes = std::size_t{f.channels} * (f.bits / 8u);
    if (f.block_align != frame_bytes) {
        return Error{Errc::bad_wav, "wav: block align " + std::to_string(f.block_align) +
                                        " does not match " + std::to_string(frame_bytes)};
    }
    return f;
}

void convert(const Fmt& f, const std::uint8_t* p, std::size_t n, std::int16_t* out) {
    switch (f.format) {
        case kFormatAlaw:
            alaw_decode({p, n}, {out, n});
            return;
        case kFormatUlaw:
            ulaw_decode({p, n}, {out, n});
            return;
        case kFormatFloat:
            if (f.bits == 32) {
                for (std::size_t i = 0; i < n; ++i) {
                    float x = 0;
                    std::memcpy(&x, p + 4 * i, 4);  // IEEE 754, little-endian hosts only
                    out[i] = from_double(static_cast<double>(x));
                }
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    double x = 0;
                    std::memcpy(&x, p + 8 * i, 8);
                    out[i] = from_double(x);
                }
            }
            return;
        default:
            break;
    }
    switch (f.bits) {
        case 8:
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<std::int16_t>((p[i] - 128) * 256);
            return;
        case 16:
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>(le16(p + 2 * i));
            return;
        case 24:
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint32_t u = std::uint32_t{p[3 * i]} |
                                        (std::uint32_t{p[3 * i + 1]} << 8) |
                                        (std::uint32_t{p[3 * i + 2]} << 16);
                const std::int32_t v = static_cast<std::int32_t>(u << 8) / 256;  // sign-extend
                out[i] = clamp16((std::int64_t{v} + 128) >> 8);                  // round to nearest
            }
            return;
        case 32:
            for (std::size_t i = 0; i < n; ++i) {
                const auto v = static_cast<std::int32_t>(le32(p + 4 * i));
                out[i] = clamp16((std::int64_t{v} + 32768) >> 16);
            }
            return;
        default:
            return;
    }
}

}  // namespace

Result<WavAudio> parse_wav(std::span<const std::uint8_t> bytes) {
    const std::uint8_t* base = bytes.data();
    const std::size_t size = bytes.size();
    if (size < 12) return Error{Errc::bad_wav, "wav: shorter than a RIFF header"};
    if (tag_is(base, "RIFX") || tag_is(base, "RF64"))
        return Error{Errc::unsupported, "wav: RIFX/RF64 files are not supported"};
    if (!tag_is(base, "RIFF") || !tag_is(base + 8, "WAVE"))
        return Error{Errc::bad_wav, "wav: not a RIFF/WAVE file"};
    // The RIFF size is not trusted (streaming writers leave 0 or 0xFFFFFFFF): chunks are
    // walked until the end of the bytes we have.
    std::size_t pos = 12;
    Fmt fmt;
    bool have_fmt = false;
    const std::uint8_t* data = nullptr;
    std::size_t data_size = 0;
    bool have_data = false;
    while (size - pos >= 8) {
        const std::uint8_t* hdr = base + pos;
        const std::size_t declared = le32(hdr + 4);
        pos += 8;
        const std::size_t left = size - pos;
        if (tag_is(hdr, "data")) {
            if (!have_fmt) return Error{Errc::bad_wav, "wav: data chunk before fmt chunk"};
            data = base + pos;
            data_size = declared < left ? declared : left;  // clamp streaming/truncated data
            have_data = true;
            break;  // samples follow; anything after them is of no use to us
        }
        if (declared > left) {
            return Error{Errc::bad_wav, "wav: chunk '" +
                                            std::string(reinterpret_cast<const char*>(hdr), 4) +
                                            "' overruns the file"};
        }
        if (tag_is(hdr, "fmt ")) {
            if (have_fmt) return Error{Errc::bad_wav, "wav: two fmt chunks"};
            auto f = parse_fmt(base + pos, declared);
            if (!f) return f.error();
            fmt = f.value();
            have_fmt = true;
        }
        // Chunks are padded to an even size; a missing final pad byte is tolerated.
        const std::size_t padded = declared + (declared & 1u);
        pos += padded < left ? padded : left;
    }
    if (!have_fmt) return Error{Errc::bad_wav, "wav: no fmt chunk"};
    if (!have_data) return Error{Errc::bad_wav, "wav: no data chunk"};

    WavAudio out;
    out.sample_rate_hz = fmt.rate;
    out.channels = fmt.channels;
    out.source_format = fmt.format;
    out.source_bits = fmt.bits;
    const std::size_t frames = data_size / fmt.block_align;
    const std::size_t samples = frames * fmt.channels;
    out.samples.resize(samples);
    convert(fmt, data, samples, out.samples.data());
    return out;
}

namespace {
struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace

Result<WavAudio> read_wav_file(const std::string& path) {
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) return Error{Errc::io, "wav: cannot open " + path};
    std::vector<std::uint8_t> bytes;
    std::uint8_t buf[65536];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        bytes.insert(bytes.end(), buf, buf + n);
        if (n < sizeof buf) break;
    }
    if (std::ferror(f.get())) return Error{Errc::io, "wav: read error on " + path};
    return parse_wav(bytes);
}

Result<std::vector<std::uint8_t>> wav_bytes(std::span<const std::int16_t> samples,
                                            std::uint32_t rate_hz, unsigned channels) {
    if (channels == 0 || channels > 0xFFFF || rate_hz == 0)
        return Error{Errc::invalid_argument, "wav: channels and rate must be > 0"};
    if (samples.size() % channels != 0)
        return Error{Errc::invalid_argument, "wav: sample count is not whole frames"};
    const std::uint64_t data_bytes = std::uint64_t{samples.size()} * 2;
    if (data_bytes > 0xFFFFFFFFull - 36) return Error{Errc::too_large, "wav: more than 4 GiB"};
    const std::uint64_t byte_rate = std::uint64_t{rate_hz} * channels * 2;
    if (byte_rate > 0xFFFFFFFFull || channels * 2u > 0xFFFFu)
        return Error{Errc::invalid_argument, "wav: rate * channels too large"};

    std::vector<std::uint8_t> out(44 + static_cast<std::size_t>(data_bytes));
    std::uint8_t* p = out.data();
    auto put32 = [&p](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) *p++ = static_cast<std::uint8_t>(v >> (8 * i));
    };
    auto put16 = [&p](std::uint32_t v) {
        *p++ = static_cast<std::uint8_t>(v);
        *p++ = static_cast<std::uint8_t>(v >> 8);
    };
    auto tag = [&p](const char* t) {
        std::memcpy(p, t, 4);
        p += 4;
    };
    tag("RIFF");
    put32(static_cast<std::uint32_t>(36 + data_bytes));
    tag("WAVE");
    tag("fmt ");
    put32(16);
    put16(kFormatPcm);
    put16(channels);
    put32(rate_hz);
    put32(static_cast<std::uint32_t>(byte_rate));
    put16(channels * 2);
    put16(16);
    tag("data");
    put32(static_cast<std::uint32_t>(data_bytes));
    samples_to_s16le(samples, {p, static_cast<std::size_t>(data_bytes)});
    return out;
}

Status write_wav_file(const std::string& path, std::span<const std::int16_t> samples,
                      std::uint32_t rate_hz, unsigned channels) {
    auto bytes = wav_bytes(samples, rate_hz, channels);
    if (!bytes) return bytes.error();
    File f(std::fopen(path.c_str(), "wb"));
    if (!f) return Status{Errc::io, "wav: cannot create " + path};
    const auto& b = bytes.value();
    if (std::fwrite(b.data(), 1, b.size(), f.get()) != b.size())
        return Status{Errc::io, "wav: write error on " + path};
    if (std::fclose(f.release()) != 0) return Status{Errc::io, "wav: write error on " + path};
    return {};
}

}  // namespace ringoverbot::audio
