// The media server -> bot side (src/streamer/README.md §Inbound): forms A (binary L16), B (JSON
// events), C (a free first text frame) and D (the end), detected per stream.
//
// Decisions the spec leaves open, made here:
// - A binary frame is audio in the stream's encoding: L16 unless metadata declared PCMU/PCMA.
//   Its length must be a whole number of sample frames (2 * channels bytes for L16), else error.
// - The first text frame of a stream that is not a known event is metadata (form C), whether or
//   not it is JSON. Any later text frame that is not JSON (or not a JSON object) is an error
//   event (bad_json); a later JSON object with an unknown or missing event is ignored.
// - Known events: call_start, audio_data, dtmf, call_end (discriminator `event`, else `type`),
//   and Twilio's "media" (payload in media.payload, mu-law 8 kHz mono unless it says otherwise).
// - Fields are looked up at the top level and in nested `data`, `audio` and `media` objects, so
//   both {"event":"audio_data","data":{"audioData":...}} and a flat layout work.
// - Inbound sample rates: see accepted_inbound_rate(). An invalid format in call_start is an error
//   event (the stream keeps its format); an invalid format in a form C frame is ignored.
// - Empty audio (a zero-length binary frame, an empty audioData) is ignored.
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <vector>

#include "common/base64.hpp"
#include "common/text.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/streamer.hpp"

namespace ringoverbot::streamer {

namespace ondemand = simdjson::ondemand;

std::string_view encoding_name(Encoding e) noexcept {
    switch (e) {
        case Encoding::l16:
            return "L16";
        case Encoding::pcmu:
            return "PCMU";
        case Encoding::pcma:
            return "PCMA";
    }
    return "L16";
}

bool accepted_inbound_rate(std::uint64_t hz) noexcept {
    switch (hz) {
        case 8000:
        case 11025:
        case 12000:
        case 16000:
        case 22050:
        case 24000:
        case 32000:
        case 44100:
        case 48000:
            return true;
        default:
            return false;
    }
}

namespace {

// ---- one pass over a JSON object, collecting every field any event may need ----------------

// A text field; `rank` orders the aliases of one field (higher wins, equal: first seen wins).
struct TextField {
    std::string_view value;
    int rank = 0;
    bool present() const { return rank != 0; }
    void offer(std::string_view v, int r) {
        if (r > rank) {
            value = v;
            rank = r;
        }
    }
};

struct NumberField {
    bool present = false;
    bool valid = false;
    std::uint64_t value = 0;
};

struct Fields {
    TextField event, type;
    TextField audio_b64, encoding, digit, reason;
    NumberField sample_rate, channels;
    TextField call_id, channel_id, from_number, to_number, direction;
};

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
    }
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// A string or a number (its JSON text, never converted through a double); other types skipped.
simdjson::error_code read_text(ondemand::value& v, TextField& dst, int rank) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    std::string_view s;
    if (t == ondemand::json_type::string) {
        if (auto e = v.get_string().get(s)) return e;
    } else if (t == ondemand::json_type::number) {
        s = text::trim_right(v.raw_json_token(), text::kJsonBlanks);
    } else {
        return simdjson::SUCCESS;
    }
    dst.offer(s, rank);
    return simdjson::SUCCESS;
}

simdjson::error_code read_string(ondemand::value& v, TextField& dst, int rank) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != ondemand::json_type::string) return simdjson::SUCCESS;
    std::string_view s;
    if (auto e = v.get_string().get(s)) return e;
    dst.offer(s, rank);
    return simdjson::SUCCESS;
}

// An unsigned integer as a JSON number or a numeric string.
simdjson::error_code read_number(ondemand::value& v, NumberField& dst) {
    if (dst.present) return simdjson::SUCCESS;  // first seen wins
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    std::string_view s;
    if (t == ondemand::json_type::number) {
        s = text::trim_right(v.raw_json_token(), text::kJsonBlanks);
    } else if (t == ondemand::json_type::string) {
        if (auto e = v.get_string().get(s)) return e;
    }
    dst.present = true;
    dst.valid = parse_u64(s, dst.value);
    return simdjson::SUCCESS;
}

// How a key's value is read.
enum class Read {
    discriminator,  // `event`/`type`: a string, top level only
    nested,         // an object walked for more fields (or, for data/audio, a base64 string)
    string,         // a string; other types are skipped
    text,           // a string, or a number kept as its JSON text
    number,         // an unsigned integer, as a number or a numeric string
};

struct KeySpec {
    std::string_view name;
    Read read;
    TextField Fields::*text = nullptr;
    NumberField Fields::*number = nullptr;
    int rank = 1;  // among the aliases of one field
};

// Every key any event may carry, with its aliases (src/streamer/README.md §Inbound, B and C).
constexpr KeySpec kKeys[] = {
    {"event", Read::discriminator, &Fields::event},
    {"type", Read::discriminator, &Fields::type},
    {"data", Read::nested, &Fields::audio_b64},
    {"audio", Read::nested, &Fields::audio_b64},
    {"media", Read::nested},
    {"audioData", Read::string, &Fields::audio_b64, nullptr, 2},
    {"audio_data", Read::string, &Fields::audio_b64},
    {"payload", Read::string, &Fields::audio_b64},
    {"encoding", Read::string, &Fields::encoding},
    {"sampleRate", Read::number, nullptr, &Fields::sample_rate},
    {"sample_rate", Read::number, nullptr, &Fields::sample_rate},
    {"channels", Read::number, nullptr, &Fields::channels},
    {"digit", Read::text, &Fields::digit},
    {"reason", Read::string, &Fields::reason},
    {"call_id", Read::text, &Fields::call_id, nullptr, 2},
    {"callId", Read::text, &Fields::call_id},
    {"channel_id", Read::text, &Fields::channel_id, nullptr, 3},
    {"channelId", Read::text, &Fields::channel_id, nullptr, 2},
    {"uuid", Read::text, &Fields::channel_id},
    {"from_number", Read::text, &Fields::from_number, nullptr, 3},
    {"fromNumber", Read::text, &Fields::from_number, nullptr, 2},
    {"from", Read::text, &Fields::from_number},
    {"to_number", Read::text, &Fields::to_number, nullptr, 3},
    {"toNumber", Read::text, &Fields::to_number, nullptr, 2},
    {"to", Read::text, &Fields::to_number},
    {"direction", Read::text, &Fields::direction},
};

const KeySpec* find_key(std::string_view name) {
    for (const auto& k : kKeys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

constexpr int kMaxNesting = 2;  // root -> data -> audio
constexpr std::size_t kParserDepth = 16;

simdjson::error_code walk_object(ondemand::object obj, Fields& f, int depth);

simdjson::error_code read_nested(ondemand::value& v, const KeySpec& k, Fields& f, int depth) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t == ondemand::json_type::object && depth < kMaxNesting) {
        ondemand::object inner;
        if (auto e = v.get_object().get(inner)) return e;
        return walk_object(inner, f, depth + 1);
    }
    if (t == ondemand::json_type::string && k.text != nullptr) {
        return read_string(v, f.*k.text, k.rank);  // "data": "<base64>"
    }
    return simdjson::SUCCESS;
}

simdjson::error_code walk_object(ondemand::object obj, Fields& f, int depth) {
    for (auto item : obj) {
        ondemand::field field;
        if (auto e = std::move(item).get(field)) return e;
        std::string_view name;
        if (auto e = field.unescaped_key().get(name)) return e;
        const KeySpec* k = find_key(name);
        if (k == nullptr) continue;  // skipped by the iterator
        ondemand::value& v = field.value();
        simdjson::error_code e = simdjson::SUCCESS;
        switch (k->read) {
            case Read::discriminator:
                if (depth == 0) e = read_string(v, f.*k->text, k->rank);
                break;
            case Read::nested:
                e = read_nested(v, *k, f, depth);
                break;
            case Read::string:
                e = read_string(v, f.*k->text, k->rank);
                break;
            case Read::text:
                e = read_text(v, f.*k->text, k->rank);
                break;
            case Read::number:
                e = read_number(v, f.*k->number);
                break;
        }
        if (e) return e;
    }
    return simdjson::SUCCESS;
}

enum class EventName { unknown, call_start, audio_data, media, dtmf, call_end };

EventName classify_event(std::string_view name) {
    if (name == "call_start") return EventName::call_start;
    if (name == "audio_data") return EventName::audio_data;
    if (name == "media") return EventName::media;
    if (name == "dtmf") return EventName::dtmf;
    if (name == "call_end") return EventName::call_end;
    return EventName::unknown;
}

// Encoding names, case-insensitive, with the usual aliases.
bool parse_encoding(std::string_view s, Encoding& out) {
    for (const auto name : {"L16", "LINEAR16", "PCM", "S16LE", "AUDIO/L16"}) {
        if (text::iequals(s, name)) return (out = Encoding::l16), true;
    }
    for (const auto name : {"PCMU", "ULAW", "MULAW", "G711U", "AUDIO/X-MULAW", "AUDIO/PCMU"}) {
        if (text::iequals(s, name)) return (out = Encoding::pcmu), true;
    }
    for (const auto name : {"PCMA", "ALAW", "G711A", "AUDIO/X-ALAW", "AUDIO/PCMA"}) {
        if (text::iequals(s, name)) return (out = Encoding::pcma), true;
    }
    return false;
}

// The exact decimal text of a uint64 given as digits; other text is kept as is.
void assign_call_id(std::optional<std::string>& dst, std::string_view text) {
    std::uint64_t v = 0;
    if (parse_u64(text, v)) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        dst.emplace(buf, r.ptr);
    } else {
        dst.emplace(text);
    }
}

void assign(std::optional<std::string>& dst, const TextField& f) {
    if (f.present()) dst.emplace(f.value);
}

}  // namespace

// ---- the decoder ------------------------------------------------------------------------------

struct InboundDecoder::Impl {
    explicit Impl(DecoderConfig c) : config(c) {
        if (config.default_channels != 1 && config.default_channels != 2) {
            config.default_channels = 1;
        }
        if (!accepted_inbound_rate(config.default_sample_rate_hz)) {
            config.default_sample_rate_hz = 8000;
        }
        if (config.max_message_bytes == 0) config.max_message_bytes = std::size_t{1} << 20;
        format = {Encoding::l16, config.default_sample_rate_hz, config.default_channels};
        event.format = format;
    }

    DecoderConfig config;
    AudioFormat format;
    Dialect dialect = Dialect::unknown;
    bool text_seen = false;
    bool ended = false;
    DecoderStats stats;
    InboundEvent event;
    ondemand::parser parser;
    std::vector<char> padded;           // the text message + SIMDJSON_PADDING
    std::vector<std::uint8_t> bytes;    // decoded base64
    std::vector<std::int16_t> samples;  // decoded audio

    void begin() {
        if (event.kind == EventKind::metadata) event.metadata = Metadata{};
        if (event.kind == EventKind::end) event.reason.clear();
        event.kind = EventKind::none;
        event.samples = {};
        event.digit = 0;
        event.error_code = Errc::ok;
        event.error_message = {};
    }

    const InboundEvent& finish(EventKind kind) {
        event.kind = kind;
        event.dialect = dialect;
        if (kind == EventKind::none) ++stats.ignored;
        return event;
    }

    const InboundEvent& error(Errc code, std::string_view static_message) {
        event.error_code = code;
        event.error_message = static_message;
        ++stats.errors;
        return finish(EventKind::error);
    }

    template <class T>
    void ensure(std::vector<T>& v, std::size_t n) {
        if (v.size() < n) {
            v.resize(n);
            ++stats.buffer_growths;
        }
    }

    // Turns wire bytes into interleaved s16 samples in `samples`.
    const InboundEvent& audio(std::span<const std::uint8_t> wire, AudioFormat fmt) {
        if (wire.empty()) return finish(EventKind::none);
        std::size_t n = 0;
        if (fmt.encoding == Encoding::l16) {
            if (wire.size() % (2 * std::size_t{fmt.channels}) != 0) {
                return error(Errc::bad_audio, "L16 audio is not a whole number of sample frames");
            }
            n = wire.size() / 2;
            ensure(samples, n);
            if constexpr (std::endian::native == std::endian::little) {
                std::memcpy(samples.data(), wire.data(), n * 2);
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    const auto lo = static_cast<std::uint16_t>(wire[2 * i]);
                    const auto hi = static_cast<std::uint16_t>(wire[2 * i + 1]);
                    samples[i] =
                        static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
                }
            }
        } else {
            if (wire.size() % fmt.channels != 0) {
                return error(Errc::bad_audio, "G.711 audio is not a whole number of sample frames");
            }
            n = wire.size();
            ensure(samples, n);
            const std::span<std::int16_t> out(samples.data(), n);
            if (fmt.encoding == Encoding::pcmu) {
                audio::ulaw_decode(wire, out);
            } else {
                audio::alaw_decode(wire, out);
            }
        }
        event.samples = {samples.data(), n};
        event.format = fmt;
        return finish(EventKind::audio);
    }

    const InboundEvent& decode_binary(std::span<const std::uint8_t> message) {
        dialect = Dialect::binary;
        return audio(message, format);
    }

    // Reads a format from `f` on top of `base`. False when a present value is invalid.
    static bool read_format(const Fields& f, AudioFormat& fmt) {
        if (f.encoding.present() && !parse_encoding(f.encoding.value, fmt.encoding)) return false;
        if (f.sample_rate.present) {
            if (!f.sample_rate.valid || !accepted_inbound_rate(f.sample_rate.value)) return false;
            fmt.sample_rate_hz = static_cast<std::uint32_t>(f.sample_rate.value);
        }
        if (f.channels.present) {
            if (!f.channels.valid || (f.channels.value != 1 && f.channels.value != 2)) return false;
            fmt.channels = static_cast<std::uint32_t>(f.channels.value);
        }
        return true;
    }

    const InboundEvent& metadata(const Fields* f, std::string_view raw) {
        Metadata& m = event.metadata;
        m.raw.assign(raw);
        if (f != nullptr) {
            if (f->call_id.present()) assign_call_id(m.call_id, f->call_id.value);
            assign(m.channel_id, f->channel_id);
            assign(m.from_number, f->from_number);
            assign(m.to_number, f->to_number);
            assign(m.direction, f->direction);
        }
        event.format = format;
        return finish(EventKind::metadata);
    }

    const InboundEvent& decode_text(std::span<const std::uint8_t> message) {
        const bool first_text = !text_seen;
        text_seen = true;
        const std::string_view text(reinterpret_cast<const char*>(message.data()), message.size());

        const std::size_t need = message.size() + simdjson::SIMDJSON_PADDING;
        ensure(padded, need);
        if (!message.empty()) std::memcpy(padded.data(), message.data(), message.size());
        // simdjson reads the padding but ignores its content; blanking it keeps the decoder's
        // behaviour a function of this message alone (no stale bytes from a longer one).
        std::memset(padded.data() + message.size(), ' ', simdjson::SIMDJSON_PADDING);
        const std::size_t capacity_before = parser.capacity();
        // The parser's depth buffers are sized at its first allocation and kept by iterate(): the
        // default (1024 levels) costs every call ~9 kB; the walk reads kMaxNesting levels, and
        // on demand skips deeper values without these buffers.
        if (parser.capacity() < message.size()) {
            // A failure leaves the parser empty: iterate() then allocates and reports it.
            [[maybe_unused]] const auto e = parser.allocate(message.size(), kParserDepth);
        }

        Fields f;
        bool parsed = false;
        bool is_object = false;
        {
            ondemand::document doc;
            auto e = parser
                         .iterate(simdjson::padded_string_view(padded.data(), message.size(),
                                                               padded.size()))
                         .get(doc);
            ondemand::object root;
            if (!e) {
                parsed = true;
                ondemand::json_type t;
                e = doc.type().get(t);
                if (!e && t == ondemand::json_type::object) {
                    is_object = true;
                    e = doc.get_object().get(root);
                    if (!e) e = walk_object(root, f, 0);
                    // Anything after the root object makes the document invalid.
                    const char* trailing = nullptr;
                    if (!e && doc.current_location().get(trailing) == simdjson::SUCCESS) {
                        e = simdjson::TRAILING_CONTENT;
                    }
                }
            }
            if (e) parsed = false;
        }
        if (parser.capacity() != capacity_before) ++stats.buffer_growths;

        if (!parsed) {
            if (first_text) return form_c(nullptr, text);
            return error(Errc::bad_json, "text frame is not valid JSON");
        }
        if (!is_object) {
            if (first_text) return form_c(nullptr, text);
            return error(Errc::bad_json, "text frame is not a JSON object");
        }

        EventName name = classify_event(f.event.value);
        if (name == EventName::unknown) name = classify_event(f.type.value);
        switch (name) {
            case EventName::unknown:
                if (first_text) return form_c(&f, text);
                return finish(EventKind::none);
            case EventName::call_start:
                return call_start(f, text);
            case EventName::audio_data:
            case EventName::media:
                return audio_data(f, name == EventName::media);
            case EventName::dtmf:
                return dtmf(f);
            case EventName::call_end:
                return call_end(f);
        }
        return finish(EventKind::none);
    }

    const InboundEvent& form_c(const Fields* f, std::string_view text) {
        if (dialect == Dialect::unknown) dialect = Dialect::metadata;
        if (f != nullptr) {
            AudioFormat fmt = format;
            if (read_format(*f, fmt)) format = fmt;  // free text: an odd format is not an error
        }
        return metadata(f, text);
    }

    const InboundEvent& call_start(const Fields& f, std::string_view text) {
        dialect = Dialect::json;
        AudioFormat fmt = format;
        if (!read_format(f, fmt)) {
            return error(Errc::bad_audio,
                         "call_start: unsupported audio format (encoding L16|PCMU|PCMA, "
                         "sampleRate 8000..48000, channels 1|2)");
        }
        format = fmt;
        return metadata(&f, text);
    }

    const InboundEvent& audio_data(const Fields& f, bool twilio_media) {
        dialect = Dialect::json;
        if (!f.audio_b64.present()) return error(Errc::protocol, "audio_data without audioData");
        AudioFormat fmt = twilio_media ? AudioFormat{Encoding::pcmu, 8000, 1} : format;
        if (!read_format(f, fmt)) {
            return error(Errc::bad_audio,
                         "audio_data: unsupported encoding, sampleRate or channels");
        }
        const std::string_view b64 = f.audio_b64.value;
        ensure(bytes, base64::max_decoded_size(b64.size()));
        const std::ptrdiff_t n = base64::decode(b64, bytes.data());
        if (n < 0) return error(Errc::bad_base64, "audioData is not base64");
        return audio({bytes.data(), static_cast<std::size_t>(n)}, fmt);
    }

    const InboundEvent& dtmf(const Fields& f) {
        dialect = Dialect::json;
        if (f.digit.present() && f.digit.value.size() == 1) {
            char c = f.digit.value.front();
            if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
            if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) {
                event.digit = c;
                return finish(EventKind::dtmf);
            }
        }
        return error(Errc::protocol, "dtmf: digit must be one of 0-9 * # A-D");
    }

    const InboundEvent& call_end(const Fields& f) {
        dialect = Dialect::json;
        ended = true;
        event.reason.assign(f.reason.present() && !f.reason.value.empty() ? f.reason.value
                                                                          : "hangup");
        return finish(EventKind::end);
    }

    const InboundEvent& decode(std::span<const std::uint8_t> message, bool is_binary) {
        begin();
        ++stats.messages;
        if (ended) return finish(EventKind::none);
        if (message.size() > config.max_message_bytes) {
            return error(Errc::too_large, "message larger than max_message_bytes");
        }
        return is_binary ? decode_binary(message) : decode_text(message);
    }

    const InboundEvent& close(std::string_view reason) {
        begin();
        if (ended) {  // not a message: not counted as ignored
            event.dialect = dialect;
            return event;
        }
        ended = true;
        event.reason.assign(reason.empty() ? std::string_view("close") : reason);
        return finish(EventKind::end);
    }
};

InboundDecoder::InboundDecoder(DecoderConfig config) : impl_(std::make_unique<Impl>(config)) {}
InboundDecoder::~InboundDecoder() = default;
InboundDecoder::InboundDecoder(InboundDecoder&&) noexcept = default;
InboundDecoder& InboundDecoder::operator=(InboundDecoder&&) noexcept = default;

const InboundEvent& InboundDecoder::decode(std::span<const std::uint8_t> message, bool is_binary) {
    return impl_->decode(message, is_binary);
}
const InboundEvent& InboundDecoder::close(std::string_view reason) {
    return impl_->close(reason);
}
const DecoderStats& InboundDecoder::stats() const noexcept {
    return impl_->stats;
}
const AudioFormat& InboundDecoder::format() const noexcept {
    return impl_->format;
}
Dialect InboundDecoder::dialect() const noexcept {
    return impl_->dialect;
}
bool InboundDecoder::ended() const noexcept {
    return impl_->ended;
}

Status validate(const DecoderConfig& config) {
    if (!accepted_inbound_rate(config.default_sample_rate_hz)) {
        return {Errc::invalid_argument, "default_sample_rate_hz is not a supported rate"};
    }
    if (config.default_channels != 1 && config.default_channels != 2) {
        return {Errc::invalid_argument, "default_channels must be 1 or 2"};
    }
    if (config.max_message_bytes == 0) {
        return {Errc::invalid_argument, "max_message_bytes must be > 0"};
    }
    return {};
}

}  // namespace ringoverbot::streamer
