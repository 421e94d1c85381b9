// Ringover's media WebSocket (src/streamer/README.md), sans I/O: InboundDecoder turns one complete
// inbound WebSocket message into one event, OutboundEncoder writes the bot's commands. Neither
// touches a socket or a clock, and neither allocates per audio frame once its buffers are warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"

namespace ringoverbot::streamer {

// Audio encoding on the wire (values == ROB_ENC_*).
enum class Encoding : int { l16 = 0, pcmu = 1, pcma = 2 };
// The inbound form a peer uses, as detected (values == ROB_DIALECT_*): binary L16 frames (A),
// JSON events (B), a free first text frame (C, mod_audio_stream metadata).
enum class Dialect : int { unknown = 0, binary = 1, json = 2, metadata = 3 };
// Values == ROB_EVT_*.
enum class EventKind : int { none = 0, audio = 1, metadata = 2, dtmf = 3, end = 4, error = 5 };

RINGOVERBOT_API std::string_view encoding_name(Encoding e) noexcept;  // "L16", "PCMU", "PCMA"

struct AudioFormat {
    Encoding encoding = Encoding::l16;
    std::uint32_t sample_rate_hz = 8000;
    std::uint32_t channels = 1;
};

// True for the sample rates the decoder accepts from a peer's metadata/audio events:
// 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 (the spec names 8000, 16000 and
// 24000; the others are what a switch may resample to, and labelling samples costs nothing).
RINGOVERBOT_API bool accepted_inbound_rate(std::uint64_t hz) noexcept;
// True for the rates Ringover plays in streamAudio: 8000, 16000, 24000.
RINGOVERBOT_API bool accepted_outbound_rate(std::uint64_t hz) noexcept;

struct DecoderConfig {
    std::uint32_t default_sample_rate_hz = 8000;  // until metadata says otherwise
    std::uint32_t default_channels = 1;           // 1 or 2
    std::size_t max_message_bytes = std::size_t{1} << 20;
};

// The call's metadata (call_start, or a free first text frame). Absent fields are nullopt.
struct Metadata {
    // An exact decimal string when the peer sent a uint64 (as a JSON number or a string; never
    // through a double); any other value is kept as the peer's text.
    std::optional<std::string> call_id;      // call_id | callId
    std::optional<std::string> channel_id;   // channel_id | channelId | uuid
    std::optional<std::string> from_number;  // from_number | from | fromNumber
    std::optional<std::string> to_number;    // to_number | to | toNumber
    std::optional<std::string> direction;
    // The whole text frame as received (JSON or not).
    std::string raw;
};

// One decoded message. Returned by reference to a member of the decoder that is reused: every
// field is valid until the next decode()/close() call.
struct InboundEvent {
    EventKind kind = EventKind::none;
    Dialect dialect = Dialect::unknown;  // of the stream so far

    // audio: interleaved signed 16-bit samples (frames * channels), decoded from `format.encoding`.
    // For metadata events, `format` is the stream's format after the metadata was applied.
    std::span<const std::int16_t> samples;
    AudioFormat format;

    Metadata metadata;   // metadata events only
    char digit = 0;      // dtmf: one of 0-9 * # A-D
    std::string reason;  // end: "hangup" (call_end default), or close()'s reason

    // error: the frame was dropped, the stream goes on. `error_message` points to static,
    // NUL-terminated text.
    Errc error_code = Errc::ok;
    std::string_view error_message;
};

struct DecoderStats {
    std::uint64_t messages = 0;        // decode() calls
    std::uint64_t errors = 0;          // error events
    std::uint64_t ignored = 0;         // none events (unknown events, frames after the end, ...)
    std::uint64_t buffer_growths = 0;  // times an internal buffer had to grow (0 once warm)
};

// invalid_argument when the default rate is not an accepted inbound rate, the channels are not
// 1 or 2, or max_message_bytes is 0. (InboundDecoder itself replaces such values by defaults.)
RINGOVERBOT_API Status validate(const DecoderConfig& config);

// One per stream. Not thread-safe. A moved-from decoder may only be destroyed or assigned to.
class RINGOVERBOT_API InboundDecoder {
  public:
    explicit InboundDecoder(DecoderConfig config = {});
    ~InboundDecoder();
    InboundDecoder(InboundDecoder&&) noexcept;
    InboundDecoder& operator=(InboundDecoder&&) noexcept;
    InboundDecoder(const InboundDecoder&) = delete;
    InboundDecoder& operator=(const InboundDecoder&) = delete;

    // Decodes one complete WebSocket message (binary or text). Always returns an event; a
    // protocol problem is an error event, never a failure of the decoder. Takes any bytes.
    const InboundEvent& decode(std::span<const std::uint8_t> message, bool is_binary);
    const InboundEvent& decode_text(std::string_view text) {
        return decode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, false);
    }
    // The transport closed or dropped: an end event with `reason` ("close" when empty) the
    // first time the stream ends, a none event once an end was already delivered.
    const InboundEvent& close(std::string_view reason);

    const DecoderStats& stats() const noexcept;
    const AudioFormat& format() const noexcept;  // the stream's current audio format
    Dialect dialect() const noexcept;
    bool ended() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- outbound -------------------------------------------------------------------------------

// How `digits.data` and `transfer.data` are written (src/streamer/README.md §Outbound).
enum class NumberMode : int {
    // A JSON number when the value is plain digits, does not start with '0' and has at most 15
    // digits (exact in a double, which is what the peer's JSON parser likely uses); otherwise a
    // JSON string. "0" alone starts with '0' and is therefore a string.
    automatic = 0,
    string = 1,  // always a JSON string
};
struct NumberPolicy {
    NumberMode mode = NumberMode::automatic;
    bool keep_plus = false;  // keep a leading '+' (stripped by default; '+' forces a string)
};

// streamAudio's audioDataType (values == ROB_AUDIO_*). raw = s16le mono PCM; the others are
// whole files.
enum class AudioDataType : int { raw = 0, mp3 = 1, wav = 2, ogg = 3 };
RINGOVERBOT_API std::string_view audio_data_type_name(AudioDataType t) noexcept;

// Spec: send raw audio in chunks of 100-500 ms.
inline constexpr std::uint32_t kMinChunkMs = 100;
inline constexpr std::uint32_t kMaxChunkMs = 500;
// Samples per channel in `ms` milliseconds at `rate_hz` (rounded down).
constexpr std::size_t samples_per_chunk(std::uint32_t rate_hz, std::uint32_t ms) noexcept {
    return static_cast<std::size_t>(std::uint64_t{rate_hz} * ms / 1000);
}
// The exact size of a streamAudio message carrying `data_bytes` bytes of `type` at `rate_hz`.
RINGOVERBOT_API std::size_t stream_audio_message_size(AudioDataType type, std::uint32_t rate_hz,
                                                      std::size_t data_bytes) noexcept;
// An upper bound on the size of any streamAudio message carrying `data_bytes` bytes
// (SIZE_MAX when that would overflow).
RINGOVERBOT_API std::size_t stream_audio_message_bound(std::size_t data_bytes) noexcept;

// Writes the bot's commands byte-exact to the spec into one reused buffer: each returned view is
// valid until the next call. Invalid arguments are refused before anything is written.
class RINGOVERBOT_API OutboundEncoder {
  public:
    // {"event":"play","file":"<url>"}; the URL must be non-empty, valid UTF-8.
    Result<std::string_view> play(std::string_view file_url);
    // {"event":"break"}
    std::string_view break_playback();
    // {"event":"digits","data":123}; characters 0-9 * # A-D, an optional leading '+'.
    Result<std::string_view> digits(std::string_view keys, NumberPolicy policy = {});
    // {"event":"transfer","data":33612345678}; digits with an optional leading '+'.
    Result<std::string_view> transfer(std::string_view number, NumberPolicy policy = {});
    // {"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":"..."}}
    // from mono PCM (written little-endian whatever the host). rate_hz: 8000, 16000 or 24000.
    Result<std::string_view> stream_audio(std::span<const std::int16_t> pcm, std::uint32_t rate_hz);
    // The same from encoded bytes (raw = s16le PCM, an even count; mp3/wav/ogg = a whole file).
    Result<std::string_view> stream_audio_bytes(AudioDataType type,
                                                std::span<const std::uint8_t> data,
                                                std::uint32_t rate_hz);

    // Times the buffer had to grow (0 per message once warm).
    std::uint64_t buffer_growths() const noexcept { return growths_; }

  private:
    void reserve(std::size_t n);
    std::string buf_;
    std::uint64_t growths_ = 0;
};

}  // namespace ringoverbot::streamer
