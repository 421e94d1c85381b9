// The HTTP speech endpoints' wire formats, sans-I/O: OpenAI /audio/transcriptions (multipart),
// OpenAI /audio/speech and ElevenLabs /text-to-speech/{voice}/stream (JSON in, raw audio out),
// and the error bodies all three services send.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"

namespace ringoverbot::providers::cloud {

// ---- multipart/form-data (RFC 7578) --------------------------------------------------------

struct FormPart {
    std::string name;
    std::string filename;      // empty: a plain field
    std::string content_type;  // empty: none (text field)
    std::string data;
};
// A boundary that cannot occur in `parts` (checked), derived from `seed`.
std::string multipart_boundary(std::span<const FormPart> parts, std::uint64_t seed);
std::string build_multipart(std::string_view boundary, std::span<const FormPart> parts);

// ---- OpenAI speech to text -----------------------------------------------------------------

struct TranscriptionParams {
    std::string model = "whisper-1";
    std::string language;  // ISO 639-1 ("en"); empty: not sent
    std::string prompt;    // vocabulary hints; empty: not sent
};

// Where a model's answer says how sure it is, which decides the response format asked for:
// - segments (whisper-1 and other "whisper..." models): response_format=verbose_json, whose
//   segments carry avg_logprob and no_speech_prob;
// - logprobs (gpt-4o-transcribe, gpt-4o-mini-transcribe): response_format=json with
//   include[]=logprobs, the log probability of every token of the text;
// - none (any other model, e.g. a diarizing one): response_format=json, confidence unknown.
enum class TranscriptionConfidence : int { none, segments, logprobs };
TranscriptionConfidence transcription_confidence_of(std::string_view model);

// The parts: file (audio/wav, "turn.wav"), model, response_format (json or verbose_json),
// include[]=logprobs (logprobs models), language, prompt.
std::vector<FormPart> transcription_form(const TranscriptionParams& params, std::string wav_bytes);

struct Transcription {
    std::string text;
    // In [0, 1], or -1 (the providers' kUnknownConfidence) when the answer has none:
    // - "logprobs" (token log probabilities): exp(mean logprob), the geometric mean of the
    //   tokens' probabilities;
    // - "segments" (verbose_json): each segment's exp(avg_logprob) * (1 - no_speech_prob) (how
    //   likely its words are and that it is speech at all: Whisper's hallucinations over
    //   silence have a high no_speech_prob), averaged weighted by the segments' durations.
    // Entries without those numbers are skipped; an answer with neither is unknown.
    double confidence = -1;
};
// {"text": "...", ...} -> the text and its confidence; protocol when there is no "text".
Result<Transcription> parse_transcription(std::string_view json);
// A RIFF/WAVE file (PCM s16 mono) of `samples`.
std::string wav_bytes(std::span<const std::int16_t> samples, std::uint32_t sample_rate_hz);

// ---- text to speech ------------------------------------------------------------------------

struct OpenAiSpeechParams {
    std::string model = "gpt-4o-mini-tts";
    std::string voice = "alloy";
    double speed = 1.0;        // sent when != 1
    std::string instructions;  // empty: not sent
};
// {"model":..,"input":..,"voice":..,"response_format":"pcm"[,"speed":..][,"instructions":..]}
std::string openai_speech_request(const OpenAiSpeechParams& params, std::string_view text);
inline constexpr std::uint32_t kOpenAiPcmRate = 24000;

struct ElevenLabsParams {
    std::string voice_id = "21m00Tcm4TlvDq8ikWAM";
    std::string model_id = "eleven_flash_v2_5";
    double stability = -1, similarity_boost = -1;  // < 0: not sent
};
// "ulaw_8000" for 8 kHz, "pcm_16000" for 16 kHz, "pcm_24000" for 24 kHz, ... (the formats
// ElevenLabs streams without transcoding on our side); `rate_hz` is the rate wanted.
std::string elevenlabs_output_format(std::uint32_t rate_hz);
// "/text-to-speech/{voice}/stream?output_format=..." (appended to the base URL, ".../v1").
std::string elevenlabs_stream_path(const ElevenLabsParams& params, std::string_view output_format);
// {"text":..,"model_id":..[,"voice_settings":{..}]}
std::string elevenlabs_request(const ElevenLabsParams& params, std::string_view text);

// Raw audio body bytes -> s16 samples, across chunk boundaries (an odd byte of s16le waits for
// its partner). ulaw is G.711 µ-law, one byte a sample.
class AudioBodyDecoder {
  public:
    enum class Format : int { pcm_s16le, ulaw };
    AudioBodyDecoder(Format format, std::uint32_t sample_rate_hz)
        : format_(format), rate_(sample_rate_hz) {}
    // Appends the decoded samples to `out` (cleared first).
    void feed(std::span<const std::uint8_t> bytes, std::vector<std::int16_t>& out);
    bool has_partial() const noexcept { return has_odd_; }
    std::uint32_t sample_rate_hz() const noexcept { return rate_; }
    Format format() const noexcept { return format_; }
    // "pcm_16000" -> (pcm_s16le, 16000), "ulaw_8000" -> (ulaw, 8000); invalid_argument else.
    static Result<AudioBodyDecoder> for_output_format(std::string_view output_format);

  private:
    Format format_;
    std::uint32_t rate_;
    std::uint8_t odd_ = 0;
    bool has_odd_ = false;
};

// ---- errors --------------------------------------------------------------------------------

// The human message of a service's error body: OpenAI {"error":{"message":..}}, ElevenLabs
// {"detail":{"message":..}} or {"detail":".."}, Deepgram {"err_msg":..}; otherwise the body's
// first 200 bytes with control characters replaced. Never longer than 300 bytes.
std::string error_body_message(std::string_view body);

}  // namespace ringoverbot::providers::cloud
