// Audio building blocks for telephony: G.711 (mu-law/A-law), PCM conversions, a streaming
// resampler (libsamplerate), Opus encoder/decoder, WAV read/write and DTMF (generator and
// Goertzel detector). Samples are signed 16-bit, interleaved when there are several channels.
// Nothing here throws on bad input: fallible calls return Result/Status (ringoverbot/error.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"

// libsamplerate's and speexdsp's handle types, declared so this header needs neither header.
struct SRC_STATE_tag;
struct SpeexResamplerState_;

namespace ringoverbot::audio {

// ---- G.711 ---------------------------------------------------------------------------------
// Sun Microsystems' g711.c (the code CPython's audioop and SoX build on): mu-law quantises the
// top 14 bits of a sample, A-law the top 13, and decoding gives the ITU-T G.711 table values.
// Implementations differ only in how a 16-bit sample is brought to 14/13 bits first:
//  - truncate (default): arithmetic shift, as Sun's linear2ulaw/linear2alaw and audioop do.
//    For positive samples the decoded value is then the centre of each code's input interval.
//  - nearest: round half up before the shift, as SoX does (its SOX_SAMPLE_TO_SIGNED macro).
// The two give codes one step apart on about 1 % of samples (those within half an LSB of a
// decision level). Decoding is the same for both.
enum class G711Rounding : int { truncate = 0, nearest = 1 };

RINGOVERBOT_API std::uint8_t ulaw_encode(std::int16_t sample,
                                         G711Rounding rounding = G711Rounding::truncate) noexcept;
RINGOVERBOT_API std::int16_t ulaw_decode(std::uint8_t code) noexcept;
RINGOVERBOT_API std::uint8_t alaw_encode(std::int16_t sample,
                                         G711Rounding rounding = G711Rounding::truncate) noexcept;
RINGOVERBOT_API std::int16_t alaw_decode(std::uint8_t code) noexcept;

// Bulk forms: min(in.size(), out.size()) samples are converted; returns that count.
RINGOVERBOT_API std::size_t ulaw_encode(std::span<const std::int16_t> in,
                                        std::span<std::uint8_t> out,
                                        G711Rounding rounding = G711Rounding::truncate) noexcept;
RINGOVERBOT_API std::size_t ulaw_decode(std::span<const std::uint8_t> in,
                                        std::span<std::int16_t> out) noexcept;
RINGOVERBOT_API std::size_t alaw_encode(std::span<const std::int16_t> in,
                                        std::span<std::uint8_t> out,
                                        G711Rounding rounding = G711Rounding::truncate) noexcept;
RINGOVERBOT_API std::size_t alaw_decode(std::span<const std::uint8_t> in,
                                        std::span<std::int16_t> out) noexcept;

// ---- PCM conversions ----------------------------------------------------------------------
// All return the number of output samples written: min(what the input gives, out capacity).

// s16 -> float in [-1, 1): x / 32768.
RINGOVERBOT_API std::size_t s16_to_float(std::span<const std::int16_t> in,
                                         std::span<float> out) noexcept;
// float -> s16: x * 32768 rounded to nearest, saturated; NaN becomes 0.
RINGOVERBOT_API std::size_t float_to_s16(std::span<const float> in,
                                         std::span<std::int16_t> out) noexcept;
// Interleaved stereo -> mono: (L + R) / 2, rounded toward -infinity (no clipping possible).
RINGOVERBOT_API std::size_t stereo_to_mono(std::span<const std::int16_t> stereo,
                                           std::span<std::int16_t> mono) noexcept;
// One channel (0-based) of an interleaved stream of `channels` channels.
RINGOVERBOT_API std::size_t extract_channel(std::span<const std::int16_t> interleaved,
                                            unsigned channels, unsigned channel,
                                            std::span<std::int16_t> mono) noexcept;
// Mono -> interleaved stereo (each sample twice). Returns the output sample count.
RINGOVERBOT_API std::size_t mono_to_stereo(std::span<const std::int16_t> mono,
                                           std::span<std::int16_t> stereo) noexcept;
// Little-endian byte pairs <-> samples, whatever the host's byte order. A trailing odd byte of
// `bytes` is ignored.
RINGOVERBOT_API std::size_t s16le_to_samples(std::span<const std::uint8_t> bytes,
                                             std::span<std::int16_t> out) noexcept;
RINGOVERBOT_API std::size_t samples_to_s16le(std::span<const std::int16_t> in,
                                             std::span<std::uint8_t> bytes) noexcept;
// Multiplies in place by `gain` (linear), rounding to nearest and saturating at the s16 range.
RINGOVERBOT_API void apply_gain(std::span<std::int16_t> samples, float gain) noexcept;
// 10^(db/20).
RINGOVERBOT_API float db_to_gain(float db) noexcept;

// ---- Resampler ----------------------------------------------------------------------------

enum class ResampleQuality : int {
    sinc_fastest = 0,  // the default: -100 dB aliasing, ~500x real time
    sinc_medium = 1,
    sinc_best = 2,
    linear = 3,  // no anti-alias filter: only for upsampling when CPU is short
    // speexdsp's resampler at its VoIP quality (3), made for 20 ms telephony frames: 8 -> 16 kHz
    // is flat within 0.3 dB up to 3.4 kHz with images below -70 dB (sinc_fastest loses 8.8 dB
    // at 3.4 kHz), for about a tenth of sinc_fastest's cost per frame (tests/bench/bench_audio).
    voip = 4,
};

struct ResamplerDeleter {
    RINGOVERBOT_API void operator()(SRC_STATE_tag* state) const noexcept;
    RINGOVERBOT_API void operator()(SpeexResamplerState_* state) const noexcept;
};

// One stream of interleaved s16 frames through libsamplerate (or speexdsp for `voip`). process()
// consumes all its input; the work buffers are sized at creation for `chunk_frames` frames and
// larger inputs are processed in pieces of that size, so no call allocates once the object
// exists.
class RINGOVERBOT_API Resampler {
  public:
    static constexpr std::size_t kDefaultChunkFrames = 4800;  // 100 ms at 48 kHz

    // in/out rates: anything libsamplerate accepts (ratio within 1/256..256); channels >= 1.
    static Result<Resampler> create(std::uint32_t in_rate_hz, std::uint32_t out_rate_hz,
                                    unsigned channels = 1,
                                    ResampleQuality quality = ResampleQuality::sinc_fastest,
                                    std::size_t chunk_frames = kDefaultChunkFrames);

    // The most frames one process() call can write for `in_frames` input frames, whatever
    // came before (the filter's held-back frames and the flushed tail included). It depends
    // only on in_frames: size an output buffer once with max_output(largest chunk).
    std::size_t max_output(std::size_t in_frames) const noexcept;

    // Consumes all of `in` (whole frames: in.size() % channels == 0) and writes the frames
    // produced into `out`; returns the frame count. end_of_input flushes the filter's tail and
    // then resets the resampler for a new stream. Errc::buffer_too_small, with nothing
    // consumed, when `out` could be too short for this call: the check uses the stream's
    // totals (ceil(input so far * ratio) - output so far + a few frames), which is at most
    // max_output(frames).
    Result<std::size_t> process(std::span<const std::int16_t> in, std::span<std::int16_t> out,
                                bool end_of_input = false);
    // The same, appending to `out` (which only grows when its capacity is short).
    Status process_append(std::span<const std::int16_t> in, std::vector<std::int16_t>& out,
                          bool end_of_input = false);

    // Forgets the stream (filter history and totals).
    Status reset();

    std::uint32_t in_rate() const noexcept { return in_rate_; }
    std::uint32_t out_rate() const noexcept { return out_rate_; }
    unsigned channels() const noexcept { return channels_; }
    double ratio() const noexcept { return ratio_; }

  private:
    Resampler() = default;
    std::size_t needed_output(std::size_t in_frames) const noexcept;
    double margin_frames() const noexcept;

    Result<std::size_t> process_speex(std::span<const std::int16_t> in, std::size_t out_cap,
                                      std::span<std::int16_t> out, bool end_of_input);

    std::unique_ptr<SRC_STATE_tag, ResamplerDeleter> state_;
    std::unique_ptr<SpeexResamplerState_, ResamplerDeleter> speex_;  // instead of state_
    std::uint32_t in_rate_ = 0;
    std::uint32_t out_rate_ = 0;
    unsigned channels_ = 1;
    double ratio_ = 1.0;
    std::size_t chunk_frames_ = kDefaultChunkFrames;
    std::size_t hold_frames_ = 0;
    std::vector<float> in_buf_;
    std::vector<float> out_buf_;
    std::uint64_t frames_in_ = 0;   // since the last reset
    std::uint64_t frames_out_ = 0;  // since the last reset
};

// ---- Opus ---------------------------------------------------------------------------------
// Valid rates: 8000, 12000, 16000, 24000, 48000 Hz; channels 1 or 2; frames of 2.5, 5, 10, 20,
// 40 or 60 ms. Misuse gives Errc::invalid_argument; failures inside libopus Errc::codec.

// True when `frames` samples per channel are a valid Opus frame at `rate_hz`.
RINGOVERBOT_API bool opus_frame_size_valid(std::uint32_t rate_hz, std::size_t frames) noexcept;

namespace detail {
// Stand-ins for libopus's OpusEncoder/OpusDecoder (the same pointers, cast in the .cpp): naming
// the C types here would make `using namespace ringoverbot::audio` ambiguous for hosts.
struct OpusEncoderHandle;
struct OpusDecoderHandle;
struct OpusCodecDeleter {
    RINGOVERBOT_API void operator()(OpusEncoderHandle* e) const noexcept;
    RINGOVERBOT_API void operator()(OpusDecoderHandle* d) const noexcept;
};
}  // namespace detail

class RINGOVERBOT_API OpusEncoder {
  public:
    // OPUS_APPLICATION_VOIP. bitrate_bps 0 = libopus's default.
    static Result<OpusEncoder> create(std::uint32_t rate_hz, unsigned channels = 1,
                                      std::uint32_t bitrate_bps = 0);
    // Encodes one frame (pcm.size() = frames * channels, a valid frame size) into `out`;
    // returns the packet's length. 1275 bytes always suffice for one frame (RFC 6716 3.4).
    Result<std::size_t> encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out);
    Status set_bitrate(std::uint32_t bitrate_bps);
    // The encoder's algorithmic delay, in samples per channel.
    int lookahead() const noexcept;

    std::uint32_t rate() const noexcept { return rate_; }
    unsigned channels() const noexcept { return channels_; }

  private:
    OpusEncoder() = default;
    std::unique_ptr<detail::OpusEncoderHandle, detail::OpusCodecDeleter> enc_;
    std::uint32_t rate_ = 0;
    unsigned channels_ = 1;
};

class RINGOVERBOT_API OpusDecoder {
  public:
    static Result<OpusDecoder> create(std::uint32_t rate_hz, unsigned channels = 1);
    // Decodes one packet into `pcm` (capacity in samples = frames * channels); returns the
    // frames per channel. An empty packet means "lost": one frame of concealment, as long as
    // the last packet (20 ms before any), limited to what fits in `pcm`.
    // Errc::buffer_too_small when the packet's frames do not fit; Errc::codec for a corrupt
    // packet.
    Result<std::size_t> decode(std::span<const std::uint8_t> packet, std::span<std::int16_t> pcm);

    std::uint32_t rate() const noexcept { return rate_; }
    unsigned channels() const noexcept { return channels_; }

  private:
    OpusDecoder() = default;
    std::unique_ptr<detail::OpusDecoderHandle, detail::OpusCodecDeleter> dec_;
    std::uint32_t rate_ = 0;
    unsigned channels_ = 1;
    std::size_t last_frames_ = 0;
};

// ---- WAV ----------------------------------------------------------------------------------

struct WavAudio {
    std::vector<std::int16_t> samples;  // interleaved
    std::uint32_t sample_rate_hz = 0;
    unsigned channels = 0;
    // What the file held: WAVE_FORMAT_* tag (1 PCM, 3 float, 6 A-law, 7 mu-law; the sub-format
    // for WAVE_FORMAT_EXTENSIBLE) and bits per sample.
    std::uint16_t source_format = 0;
    std::uint16_t source_bits = 0;

    std::size_t frames() const noexcept { return channels ? samples.size() / channels : 0; }
};

// Parses a RIFF/WAVE file held in memory. Reads PCM 8 (unsigned), 16, 24, 32-bit, float 32/64,
// mu-law, A-law, plain or WAVE_FORMAT_EXTENSIBLE, converting to s16 (rounded, saturated).
// Unknown chunks are skipped (with their pad byte). A data chunk longer than the bytes present
// (streaming writers put 0xFFFFFFFF there) is clamped to the whole frames present.
// Errc::bad_wav (with a message) for a malformed or truncated header, Errc::unsupported for a
// valid but unsupported encoding (ADPCM, ...). Safe on any input.
RINGOVERBOT_API Result<WavAudio> parse_wav(std::span<const std::uint8_t> bytes);
// Reads and parses a file: Errc::io when it cannot be read.
RINGOVERBOT_API Result<WavAudio> read_wav_file(const std::string& path);

// A 16-bit PCM WAV file (44-byte header + data). Errc::invalid_argument for 0 channels, a rate
// of 0 or a sample count that is not whole frames; Errc::too_large past 4 GiB.
RINGOVERBOT_API Result<std::vector<std::uint8_t>> wav_bytes(std::span<const std::int16_t> samples,
                                                            std::uint32_t rate_hz,
                                                            unsigned channels);
RINGOVERBOT_API Status write_wav_file(const std::string& path,
                                      std::span<const std::int16_t> samples, std::uint32_t rate_hz,
                                      unsigned channels);

// ---- DTMF ---------------------------------------------------------------------------------

// True for 0-9 * # A-D (lower-case a-d too).
RINGOVERBOT_API bool dtmf_valid_digit(char digit) noexcept;
// Q.23 frequencies of a key (row = low group, column = high group); false for other chars.
RINGOVERBOT_API bool dtmf_frequencies(char digit, float& row_hz, float& col_hz) noexcept;

// Writes the two tones of `digit` into all of `out` (mono), each at `level_dbfs` (a sine of
// that peak level relative to full scale; the default -10 dBFS per tone peaks at -4 dBFS).
// Errc::invalid_argument for an unknown digit or rate 0.
RINGOVERBOT_API Status dtmf_generate(char digit, std::uint32_t rate_hz, std::span<std::int16_t> out,
                                     float level_dbfs = -10.0f);

// Streaming Goertzel detector (mono). Blocks of 12.75 ms (102 samples at 8 kHz); a block holds a
// key when: both tones reach the level threshold, each is the clear peak of its group, the
// twist is within 8 dB (low group louder) / 4 dB (high group louder), the two tones carry most
// of the block's energy, and neither tone's second harmonic is strong (speech, not a tone).
// A key is reported once, after two consecutive blocks agree, and again only after a gap of two
// blocks without it.
class RINGOVERBOT_API DtmfDetector {
  public:
    // rate_hz: 8000..48000.
    static Result<DtmfDetector> create(std::uint32_t rate_hz);

    // Feeds samples; appends each newly detected key to `digits`. Returns how many it appended.
    std::size_t feed(std::span<const std::int16_t> pcm, std::string& digits);
    // Forgets any partial block and the key being held.
    void reset() noexcept;

    std::uint32_t rate() const noexcept { return rate_; }
    std::size_t block_size() const noexcept { return block_.size(); }
    // A key's tones are in the audio now: the last block held one, or a key reported is still
    // held (its release is not confirmed). Lets a caller tell tones from speech.
    bool tone_present() const noexcept { return last_block_ != 0 || held_ != 0; }

  private:
    DtmfDetector() = default;
    char classify_block() const noexcept;

    std::uint32_t rate_ = 0;
    std::vector<float> block_;  // one block, preallocated
    std::size_t fill_ = 0;
    float coeff_[8] = {};         // Goertzel 2cos(w) of the 4 rows then the 4 columns
    float col_harmonic_[4] = {};  // the columns' second harmonics
    char last_block_ = 0;         // key of the previous block (0 = none)
    unsigned stable_ = 0;         // consecutive blocks with last_block_
    char held_ = 0;               // the key reported for the current press
    unsigned missing_ = 0;        // consecutive blocks without held_
};

}  // namespace ringoverbot::audio
