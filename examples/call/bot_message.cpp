// Strict on purpose: the simulator stands for Ringover's media server, so a command that server
// would not understand (streamAudio under `event`, break under `type`, an unsupported sample
// rate, a number with a sign or a fraction) is an error the user should see.
#include "call/bot_message.hpp"

#include <simdjson.h>

#include "call/base64.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/streamer.hpp"

namespace ringoverbot::callsim {

namespace ondemand = simdjson::ondemand;

std::string_view command_name(BotCommandKind kind) {
    switch (kind) {
        case BotCommandKind::stream_audio:
            return "streamAudio";
        case BotCommandKind::play:
            return "play";
        case BotCommandKind::break_playback:
            return "break";
        case BotCommandKind::digits:
            return "digits";
        case BotCommandKind::transfer:
            return "transfer";
        case BotCommandKind::error:
            break;
    }
    return "error";
}

struct BotMessageParser::Impl {
    ondemand::parser parser;
    std::string text;  // the message with simdjson's padding
    std::vector<std::uint8_t> bytes;
    BotCommand cmd;

    // The fields of interest, gathered in one pass (a key may come in any order).
    std::string event, type, file, scalar_data, audio_type, audio_b64;
    bool has_event = false, has_type = false, has_file = false;
    bool data_is_number = false, data_is_string = false, data_is_object = false;
    std::uint64_t sample_rate = 0;
    bool has_rate = false, has_audio = false;

    const BotCommand& fail(std::string why) {
        cmd.kind = BotCommandKind::error;
        cmd.value = std::move(why);
        return cmd;
    }

    void reset() {
        cmd.kind = BotCommandKind::error;
        cmd.samples.clear();
        cmd.sample_rate_hz = 0;
        cmd.audio_type.clear();
        cmd.unplayable = false;
        cmd.value.clear();
        cmd.value_was_number = false;
        event.clear();
        type.clear();
        file.clear();
        scalar_data.clear();
        audio_type.clear();
        audio_b64.clear();
        has_event = has_type = has_file = false;
        data_is_number = data_is_string = data_is_object = false;
        sample_rate = 0;
        has_rate = has_audio = false;
    }

    // Returns an error text, empty on success.
    std::string read_audio_object(ondemand::object obj) {
        for (auto field : obj) {
            std::string_view k;
            if (field.unescaped_key().get(k)) return "bad key in data";
            ondemand::value v;
            if (field.value().get(v)) return "bad value in data";
            if (k == "audioDataType") {
                std::string_view s;
                if (v.get_string().get(s)) return "data.audioDataType must be a string";
                audio_type.assign(s);
            } else if (k == "sampleRate") {
                if (v.get_uint64().get(sample_rate)) return "data.sampleRate must be an integer";
                has_rate = true;
            } else if (k == "audioData") {
                std::string_view s;
                if (v.get_string().get(s)) return "data.audioData must be a string";
                audio_b64.assign(s);
                has_audio = true;
            }
        }
        return {};
    }

    std::string collect(ondemand::object root) {
        for (auto field : root) {
            std::string_view k;
            if (field.unescaped_key().get(k)) return "bad key";
            ondemand::value v;
            if (field.value().get(v)) return "bad value";
            if (k == "event" || k == "type") {
                std::string_view s;
                if (v.get_string().get(s)) return std::string(k) + " must be a string";
                (k == "event" ? event : type).assign(s);
                (k == "event" ? has_event : has_type) = true;
            } else if (k == "file") {
                std::string_view s;
                if (v.get_string().get(s)) return "file must be a string";
                file.assign(s);
                has_file = true;
            } else if (k == "data") {
                ondemand::json_type t;
                if (v.type().get(t)) return "bad data";
                if (t == ondemand::json_type::object) {
                    ondemand::object obj;
                    if (v.get_object().get(obj)) return "bad data object";
                    data_is_object = true;
                    if (auto e = read_audio_object(obj); !e.empty()) return e;
                } else if (t == ondemand::json_type::string) {
                    std::string_view s;
                    if (v.get_string().get(s)) return "bad data string";
                    scalar_data.assign(s);
                    data_is_string = true;
                } else if (t == ondemand::json_type::number) {
                    std::string_view raw = v.raw_json_token();
                    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' ||
                                            raw.back() == '\r' || raw.back() == '\t'))
                        raw.remove_suffix(1);
                    scalar_data.assign(raw);
                    data_is_number = true;
                } else {
                    return "data must be an object, a string or a number";
                }
            }
        }
        return {};
    }

    const BotCommand& finish_stream_audio() {
        if (!data_is_object) return fail("streamAudio without a data object");
        if (!has_audio) return fail("streamAudio without data.audioData");
        if (!has_rate) return fail("streamAudio without data.sampleRate");
        if (!streamer::accepted_outbound_rate(sample_rate))
            return fail("streamAudio sampleRate " + std::to_string(sample_rate) +
                        " is not 8000, 16000 or 24000");
        if (!base64_decode(audio_b64, bytes)) return fail("streamAudio audioData is not base64");
        cmd.sample_rate_hz = static_cast<std::uint32_t>(sample_rate);
        cmd.audio_type = audio_type;
        if (audio_type == "raw") {
            if (bytes.size() % 2 != 0) return fail("streamAudio raw data has an odd byte count");
            cmd.samples.resize(bytes.size() / 2);
            audio::s16le_to_samples(bytes, cmd.samples);
        } else if (audio_type == "wav") {
            auto wav = audio::parse_wav(bytes);
            if (!wav) return fail("streamAudio wav: " + wav.error().message);
            cmd.sample_rate_hz = wav->sample_rate_hz;
            cmd.samples.resize(wav->frames());
            audio::extract_channel(wav->samples, wav->channels, 0, cmd.samples);
        } else if (audio_type == "mp3" || audio_type == "ogg") {
            cmd.unplayable = true;  // a real media server plays it; we only count it
        } else {
            return fail("streamAudio audioDataType '" + audio_type +
                        "' is not raw, mp3, wav or ogg");
        }
        cmd.kind = BotCommandKind::stream_audio;
        return cmd;
    }

    const BotCommand& finish_number(BotCommandKind kind) {
        const std::string name(command_name(kind));
        if (!data_is_number && !data_is_string)
            return fail(name + " needs data as a JSON number or string");
        const bool is_digits = kind == BotCommandKind::digits;
        if (scalar_data.empty()) return fail(name + " data is empty");
        for (char c : scalar_data) {
            const bool digit = c >= '0' && c <= '9';
            const bool key =
                is_digits && !data_is_number && (c == '*' || c == '#' || (c >= 'A' && c <= 'D'));
            if (!digit && !key)
                return fail(name + " data '" + scalar_data + "' is not " +
                            (is_digits ? "DTMF keys" : "a phone number"));
        }
        cmd.kind = kind;
        cmd.value = scalar_data;
        cmd.value_was_number = data_is_number;
        return cmd;
    }

    const BotCommand& parse(std::string_view message) {
        reset();
        text.assign(message);
        text.reserve(message.size() + simdjson::SIMDJSON_PADDING);
        ondemand::document doc;
        if (auto e = parser
                         .iterate(simdjson::padded_string_view(text.data(), text.size(),
                                                               text.capacity()))
                         .get(doc))
            return fail(std::string("not JSON: ") + simdjson::error_message(e));
        ondemand::object root;
        if (auto e = doc.get_object().get(root))
            return fail(std::string("not a JSON object (") + simdjson::error_message(e) + ")");
        if (auto e = collect(root); !e.empty()) return fail(e);
        // current_location() is an error exactly when the whole text was consumed.
        const char* rest = nullptr;
        if (!doc.current_location().get(rest))
            return fail("trailing content after the JSON object");

        if (has_type) {
            if (type != "streamAudio")
                return fail("\"type\":\"" + type + "\" (only streamAudio uses type)");
            if (has_event) return fail("streamAudio with an event key as well");
            return finish_stream_audio();
        }
        if (!has_event) return fail("no event or type key");
        if (event == "break") {
            cmd.kind = BotCommandKind::break_playback;
            return cmd;
        }
        if (event == "play") {
            if (!has_file || file.empty()) return fail("play without a file URL");
            cmd.kind = BotCommandKind::play;
            cmd.value = file;
            return cmd;
        }
        if (event == "digits") return finish_number(BotCommandKind::digits);
        if (event == "transfer") return finish_number(BotCommandKind::transfer);
        if (event == "streamAudio")
            return fail("streamAudio must be under \"type\", not \"event\"");
        return fail("unknown event '" + event + "'");
    }
};

BotMessageParser::BotMessageParser() : impl_(std::make_unique<Impl>()) {}
BotMessageParser::~BotMessageParser() = default;

const BotCommand& BotMessageParser::parse(std::string_view text) {
    return impl_->parse(text);
}

}  // namespace ringoverbot::callsim
