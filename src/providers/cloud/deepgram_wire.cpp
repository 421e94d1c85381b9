// Deepgram live /v1/listen: the query string and the server's JSON messages.
#include "providers/cloud/deepgram_wire.hpp"

#include <simdjson.h>

#include "net/client/client.hpp"  // url_encode

namespace ringoverbot::providers::cloud {
namespace {

namespace dom = simdjson::dom;

struct Query {
    std::string out;
    void add(std::string_view key, std::string_view value) {
        out.push_back(out.empty() ? '?' : '&');
        out.append(key);
        out.push_back('=');
        out += net::url_encode(value);
    }
    void add_uint(std::string_view key, std::uint32_t value) { add(key, std::to_string(value)); }
    void add_bool(std::string_view key, bool value) {
        add(key, value ? std::string_view("true") : std::string_view("false"));
    }
};

bool get_bool(dom::element obj, std::string_view key) {
    bool b = false;
    if (obj[key].get_bool().get(b)) return false;
    return b;
}

double get_number(dom::element obj, std::string_view key) {
    double d = 0;
    if (obj[key].get_double().get(d)) return 0;
    return d;
}

std::string_view get_text(dom::element obj, std::string_view key) {
    std::string_view s;
    if (obj[key].get_string().get(s)) return {};
    return s;
}

// Deepgram's error texts: the WebSocket error message ({"type":"Error","description",
// "message","variant"}) and the HTTP error body ({"err_code","err_msg","request_id"}).
std::string error_description(dom::element obj) {
    for (const auto key : {"description", "err_msg", "message"})
        if (const auto s = get_text(obj, key); !s.empty()) return std::string(s);
    if (const auto s = get_text(obj, "err_code"); !s.empty()) return std::string(s);
    return "unspecified error";
}

}  // namespace

std::string deepgram_listen_query(const DeepgramParams& params) {
    Query q;
    if (!params.model.empty()) q.add("model", params.model);
    if (!params.language.empty()) q.add("language", params.language);
    q.add("encoding", params.encoding);
    q.add_uint("sample_rate", params.sample_rate);
    q.add_uint("channels", params.channels);
    q.add_bool("interim_results", params.interim_results);
    if (params.endpointing_ms == 0)
        q.add_bool("endpointing", false);
    else
        q.add_uint("endpointing", params.endpointing_ms);
    // Deepgram computes UtteranceEnd from the interim results: without them it is not asked.
    if (params.utterance_end_ms > 0 && params.interim_results)
        q.add_uint("utterance_end_ms", params.utterance_end_ms);
    q.add_bool("vad_events", params.vad_events);
    q.add_bool("punctuate", params.punctuate);
    q.add_bool("smart_format", params.smart_format);
    return std::move(q.out);
}

Result<DeepgramMessage> parse_deepgram_message(std::string_view json) {
    dom::parser parser;
    dom::element doc;
    if (const auto e = parser.parse(json.data(), json.size()).get(doc))
        return Error{Errc::protocol, std::string("deepgram: undecodable JSON (") +
                                         simdjson::error_message(e) + ")"};
    if (!doc.is_object()) return Error{Errc::protocol, "deepgram: a message that is not an object"};

    DeepgramMessage msg;
    std::string_view type;
    if (doc["type"].get_string().get(type)) {
        if (!get_text(doc, "err_msg").empty() || !get_text(doc, "err_code").empty()) {
            msg.kind = DeepgramKind::error;
            msg.error = error_description(doc);
            return msg;
        }
        return Error{Errc::protocol, "deepgram: a message without \"type\""};
    }

    if (type == "Results") {
        msg.kind = DeepgramKind::results;
        dom::element alt;
        if (!doc["channel"]["alternatives"].at(0).get(alt)) {
            msg.transcript.assign(get_text(alt, "transcript"));
            double c = 0;
            if (!alt["confidence"].get_double().get(c) && c >= 0.0 && c <= 1.0) msg.confidence = c;
        }
        msg.is_final = get_bool(doc, "is_final");
        msg.speech_final = get_bool(doc, "speech_final");
        msg.from_finalize = get_bool(doc, "from_finalize");
        msg.start_s = get_number(doc, "start");
        msg.duration_s = get_number(doc, "duration");
    } else if (type == "UtteranceEnd") {
        msg.kind = DeepgramKind::utterance_end;
        msg.time_s = get_number(doc, "last_word_end");
    } else if (type == "SpeechStarted") {
        msg.kind = DeepgramKind::speech_started;
        msg.time_s = get_number(doc, "timestamp");
    } else if (type == "Metadata") {
        msg.kind = DeepgramKind::metadata;
    } else if (type == "Error" || type == "error") {
        msg.kind = DeepgramKind::error;
        msg.error = error_description(doc);
    } else {
        msg.kind = DeepgramKind::other;
    }
    return msg;
}

}  // namespace ringoverbot::providers::cloud
