// Deepgram's live transcription wire format (wss://api.deepgram.com/v1/listen). Sans-I/O.
// Query parameters configure the stream; audio goes as binary frames; the server answers with
// JSON text frames (Results, UtteranceEnd, SpeechStarted, Metadata, errors); the client sends
// KeepAlive during silence, Finalize to flush, and CloseStream at the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::providers::cloud {

struct DeepgramParams {
    std::string model = "nova-2-phonecall";
    std::string language = "en-US";
    std::string encoding = "linear16";  // linear16 | mulaw | alaw
    std::uint32_t sample_rate = 16000;
    std::uint32_t channels = 1;
    bool interim_results = true;
    std::uint32_t endpointing_ms = 300;     // 0: endpointing=false
    std::uint32_t utterance_end_ms = 1000;  // 0: not sent (needs interim_results)
    bool vad_events = true;
    bool punctuate = true;
    bool smart_format = false;
};

// "?model=..&encoding=..&sample_rate=..&channels=1&interim_results=true&endpointing=300&
// utterance_end_ms=1000&vad_events=true&punctuate=true" (values URL-encoded).
std::string deepgram_listen_query(const DeepgramParams& params);

enum class DeepgramKind : int { results, utterance_end, speech_started, metadata, error, other };

struct DeepgramMessage {
    DeepgramKind kind = DeepgramKind::other;
    // results: the first alternative of channel 0, and its confidence in [0, 1]; -1 (the
    // providers' kUnknownConfidence) when absent, not a number, or outside [0, 1].
    std::string transcript;
    double confidence = -1;
    bool is_final = false;
    bool speech_final = false;
    bool from_finalize = false;
    double start_s = 0, duration_s = 0;
    // utterance_end: last_word_end; speech_started: timestamp.
    double time_s = 0;
    // error: the server's description (err_msg / description / message).
    std::string error;
};

// protocol for text that is not a JSON object with a "type" (or an error form).
Result<DeepgramMessage> parse_deepgram_message(std::string_view json);

inline constexpr std::string_view kDeepgramKeepAlive = R"({"type":"KeepAlive"})";
inline constexpr std::string_view kDeepgramFinalize = R"({"type":"Finalize"})";
inline constexpr std::string_view kDeepgramCloseStream = R"({"type":"CloseStream"})";

}  // namespace ringoverbot::providers::cloud
