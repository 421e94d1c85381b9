// The HTTP speech endpoints: multipart bodies (RFC 7578), OpenAI transcription and speech,
// ElevenLabs streaming speech, raw audio bodies and the services' error bodies.
#include "providers/cloud/speech_wire.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "common/json_writer.hpp"
#include "net/client/client.hpp"  // url_encode
#include "ringoverbot/audio.hpp"

namespace ringoverbot::providers::cloud {
namespace {

namespace dom = simdjson::dom;

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

bool part_contains(const FormPart& p, std::string_view s) {
    for (const std::string* field : {&p.name, &p.filename, &p.content_type, &p.data})
        if (field->find(s) != std::string::npos) return true;
    return false;
}

// A quoted-string parameter value as browsers write it (the WHATWG form encoding RFC 7578
// points to): '"' as %22, CR as %0D, LF as %0A.
void append_quoted(std::string& out, std::string_view v) {
    out.push_back('"');
    for (const char c : v) {
        if (c == '"')
            out += "%22";
        else if (c == '\r')
            out += "%0D";
        else if (c == '\n')
            out += "%0A";
        else
            out.push_back(c);
    }
    out.push_back('"');
}

// Header values cannot hold line breaks: they would start a new header.
void append_header_value(std::string& out, std::string_view v) {
    for (const char c : v) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

constexpr std::size_t kMaxMessageBytes = 300;
constexpr std::size_t kRawPrefixBytes = 200;

// At most `max` bytes, not cutting a UTF-8 sequence, control characters as spaces.
std::string printable(std::string_view s, std::size_t max) {
    if (s.size() > max) {
        std::size_t cut = max;
        // Back off over continuation bytes to the start of the cut character.
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s = s.substr(0, cut);
    }
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    return out;
}

std::string_view text_of(dom::element e) {
    std::string_view s;
    if (e.get_string().get(s)) return {};
    return s;
}

// The message inside a parsed error body, or "" when it has none of the known forms.
std::string_view message_of(dom::element doc) {
    dom::element v;
    // OpenAI: {"error":{"message","type","param","code"}}; Ollama: {"error":"..."}.
    if (!doc["error"].get(v)) {
        if (const auto s = text_of(v); !s.empty()) return s;
        if (!v["message"].get(v))
            if (const auto s = text_of(v); !s.empty()) return s;
    }
    // ElevenLabs: {"detail":{"status","message"}} or {"detail":"..."}; FastAPI validation
    // errors: {"detail":[{"loc","msg","type"}]}.
    if (!doc["detail"].get(v)) {
        if (const auto s = text_of(v); !s.empty()) return s;
        dom::element m;
        if (!v["message"].get(m))
            if (const auto s = text_of(m); !s.empty()) return s;
        if (!v.at(0)["msg"].get(m))
            if (const auto s = text_of(m); !s.empty()) return s;
    }
    // Deepgram: {"err_code","err_msg","request_id"}.
    if (!doc["err_msg"].get(v))
        if (const auto s = text_of(v); !s.empty()) return s;
    return {};
}

// A number of `obj[key]`, when it is one.
bool number_at(dom::element obj, std::string_view key, double& out) {
    return !obj[key].get_double().get(out);
}

// The confidence of a transcription answer (see Transcription): its token log probabilities,
// else its verbose_json segments, else unknown (-1). Hostile numbers stay bounded: a log
// probability above 0 counts as 0, a probability is clamped to [0, 1], a duration to
// [1 ms, 1 h].
double transcription_confidence(dom::element doc) {
    dom::array list;
    if (!doc["logprobs"].get_array().get(list)) {
        double sum = 0;
        std::size_t n = 0;
        for (dom::element token : list) {
            double lp = 0;
            if (!token.is_object() || !number_at(token, "logprob", lp)) continue;
            sum += std::min(lp, 0.0);
            ++n;
        }
        if (n > 0) return std::clamp(std::exp(sum / static_cast<double>(n)), 0.0, 1.0);
    }
    if (!doc["segments"].get_array().get(list)) {
        double sum = 0, weight = 0;
        for (dom::element segment : list) {
            double avg_logprob = 0;
            if (!segment.is_object() || !number_at(segment, "avg_logprob", avg_logprob)) continue;
            double no_speech = 0, start = 0, end = 0;
            if (!number_at(segment, "no_speech_prob", no_speech)) no_speech = 0;
            const double w = number_at(segment, "start", start) && number_at(segment, "end", end)
                                 ? std::clamp(end - start, 0.001, 3600.0)
                                 : 1.0;
            const double p =
                std::exp(std::min(avg_logprob, 0.0)) * (1.0 - std::clamp(no_speech, 0.0, 1.0));
            sum += p * w;
            weight += w;
        }
        if (weight > 0) return std::clamp(sum / weight, 0.0, 1.0);
    }
    return -1;
}

}  // namespace

std::string multipart_boundary(std::span<const FormPart> parts, std::uint64_t seed) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t state = seed;
    std::string boundary;
    // 64 random bits per try: a collision with the data is astronomically rare, and each try
    // lengthens the boundary, so the loop ends (RFC 2046 allows 70 characters).
    for (int tries = 0;; ++tries) {
        if (tries == 0) boundary = "----ringoverbot";
        if (boundary.size() + 16 > 70) boundary = "----ringoverbot";
        std::uint64_t r = splitmix64(state);
        for (int i = 0; i < 16; ++i, r >>= 4) boundary.push_back(kHex[r & 0xF]);
        bool clash = false;
        for (const auto& p : parts) {
            if (part_contains(p, boundary)) {
                clash = true;
                break;
            }
        }
        if (!clash) return boundary;
    }
}

std::string build_multipart(std::string_view boundary, std::span<const FormPart> parts) {
    std::size_t size = boundary.size() + 8;
    for (const auto& p : parts)
        size += boundary.size() + p.name.size() + p.filename.size() + p.content_type.size() +
                p.data.size() + 96;
    std::string out;
    out.reserve(size);
    for (const auto& p : parts) {
        out += "--";
        out += boundary;
        out += "\r\nContent-Disposition: form-data; name=";
        append_quoted(out, p.name);
        if (!p.filename.empty()) {
            out += "; filename=";
            append_quoted(out, p.filename);
        }
        out += "\r\n";
        if (!p.content_type.empty()) {
            out += "Content-Type: ";
            append_header_value(out, p.content_type);
            out += "\r\n";
        }
        out += "\r\n";
        out += p.data;
        out += "\r\n";
    }
    out += "--";
    out += boundary;
    out += "--\r\n";
    return out;
}

TranscriptionConfidence transcription_confidence_of(std::string_view model) {
    if (model.starts_with("whisper")) return TranscriptionConfidence::segments;
    // gpt-4o-transcribe, gpt-4o-mini-transcribe and their dated snapshots; the diarizing
    // variant answers diarized_json, without log probabilities.
    if (model.starts_with("gpt-") && model.find("transcribe") != std::string_view::npos &&
        model.find("diarize") == std::string_view::npos)
        return TranscriptionConfidence::logprobs;
    return TranscriptionConfidence::none;
}

std::vector<FormPart> transcription_form(const TranscriptionParams& params, std::string wav) {
    const auto confidence = transcription_confidence_of(params.model);
    std::vector<FormPart> parts;
    parts.push_back({"file", "turn.wav", "audio/wav", std::move(wav)});
    parts.push_back({"model", {}, {}, params.model});
    parts.push_back({"response_format",
                     {},
                     {},
                     confidence == TranscriptionConfidence::segments ? "verbose_json" : "json"});
    if (confidence == TranscriptionConfidence::logprobs)
        parts.push_back({"include[]", {}, {}, "logprobs"});
    if (!params.language.empty()) parts.push_back({"language", {}, {}, params.language});
    if (!params.prompt.empty()) parts.push_back({"prompt", {}, {}, params.prompt});
    return parts;
}

Result<Transcription> parse_transcription(std::string_view json) {
    dom::parser parser;
    dom::element doc;
    if (const auto e = parser.parse(json.data(), json.size()).get(doc))
        return Error{Errc::protocol, std::string("transcription: undecodable JSON (") +
                                         simdjson::error_message(e) + ")"};
    std::string_view text;
    if (doc["text"].get_string().get(text)) {
        if (doc.is_object())
            if (const auto m = message_of(doc); !m.empty())
                return Error{Errc::protocol,
                             "transcription: an error body: " + printable(m, kMaxMessageBytes)};
        return Error{Errc::protocol, "transcription: no \"text\" string in the answer"};
    }
    Transcription out;
    out.text.assign(text);
    out.confidence = transcription_confidence(doc);
    return out;
}

std::string wav_bytes(std::span<const std::int16_t> samples, std::uint32_t sample_rate_hz) {
    auto bytes = audio::wav_bytes(samples, sample_rate_hz, 1);
    if (!bytes) return {};
    return std::string(bytes->begin(), bytes->end());
}

std::string openai_speech_request(const OpenAiSpeechParams& params, std::string_view text) {
    std::string out;
    json::Writer w(out);
    w.begin_object()
        .field("model", params.model)
        .field("input", text)
        .field("voice", params.voice)
        .field("response_format", "pcm");
    if (params.speed != 1.0) w.key("speed").number(params.speed);
    if (!params.instructions.empty()) w.field("instructions", params.instructions);
    w.end_object();
    return out;
}

std::string elevenlabs_output_format(std::uint32_t rate_hz) {
    if (rate_hz == 8000) return "ulaw_8000";  // the telephone's own encoding, 1 byte a sample
    // The PCM rates ElevenLabs streams; otherwise the nearest one above (or the highest), so
    // that a resampler only ever goes down.
    static constexpr std::array<std::uint32_t, 5> kPcmRates{16000, 22050, 24000, 44100, 48000};
    std::uint32_t pick = kPcmRates.back();
    for (const auto r : kPcmRates)
        if (r >= rate_hz) {
            pick = r;
            break;
        }
    return "pcm_" + std::to_string(pick);
}

std::string elevenlabs_stream_path(const ElevenLabsParams& params, std::string_view output_format) {
    std::string out = "/text-to-speech/";
    out += net::url_encode(params.voice_id);
    out += "/stream?output_format=";
    out += net::url_encode(output_format);
    return out;
}

std::string elevenlabs_request(const ElevenLabsParams& params, std::string_view text) {
    std::string out;
    json::Writer w(out);
    w.begin_object().field("text", text).field("model_id", params.model_id);
    if (params.stability >= 0 || params.similarity_boost >= 0) {
        w.key("voice_settings").begin_object();
        if (params.stability >= 0) w.key("stability").number(params.stability);
        if (params.similarity_boost >= 0) w.key("similarity_boost").number(params.similarity_boost);
        w.end_object();
    }
    w.end_object();
    return out;
}

void AudioBodyDecoder::feed(std::span<const std::uint8_t> bytes, std::vector<std::int16_t>& out) {
    out.clear();
    if (format_ == Format::ulaw) {
        out.resize(bytes.size());
        audio::ulaw_decode(bytes, out);
        return;
    }
    if (bytes.empty()) return;
    const std::size_t total = bytes.size() + (has_odd_ ? 1 : 0);
    out.resize(total / 2);
    std::size_t n = 0;
    if (has_odd_) {
        // The low byte came last time; this chunk starts with the high byte.
        out[n++] = static_cast<std::int16_t>(static_cast<std::uint16_t>(odd_) |
                                             static_cast<std::uint16_t>(bytes[0] << 8));
        bytes = bytes.subspan(1);
        has_odd_ = false;
    }
    n += audio::s16le_to_samples(bytes, std::span<std::int16_t>(out).subspan(n));
    if (bytes.size() % 2 != 0) {
        odd_ = bytes.back();
        has_odd_ = true;
    }
}

Result<AudioBodyDecoder> AudioBodyDecoder::for_output_format(std::string_view output_format) {
    Format format = Format::pcm_s16le;
    std::string_view rate_text;
    if (output_format == "pcm") {
        // OpenAI's response_format "pcm": 24 kHz s16le, no rate in the name.
        return AudioBodyDecoder(Format::pcm_s16le, 24000);
    } else if (output_format.substr(0, 4) == "pcm_") {
        format = Format::pcm_s16le;
        rate_text = output_format.substr(4);
    } else if (output_format.substr(0, 5) == "ulaw_") {
        format = Format::ulaw;
        rate_text = output_format.substr(5);
    } else {
        return Error{Errc::invalid_argument,
                     "audio body: not a raw PCM or u-law format: " + printable(output_format, 64)};
    }
    std::uint32_t rate = 0;
    const auto* end = rate_text.data() + rate_text.size();
    const auto [ptr, ec] = std::from_chars(rate_text.data(), end, rate);
    if (ec != std::errc{} || ptr != end || rate < 8000 || rate > 192000)
        return Error{Errc::invalid_argument,
                     "audio body: bad sample rate in " + printable(output_format, 64)};
    return AudioBodyDecoder(format, rate);
}

std::string error_body_message(std::string_view body) {
    dom::parser parser;
    dom::element doc;
    if (!parser.parse(body.data(), body.size()).get(doc) && doc.is_object())
        if (const auto m = message_of(doc); !m.empty()) return printable(m, kMaxMessageBytes);
    return printable(body, kRawPrefixBytes);
}

}  // namespace ringoverbot::providers::cloud
