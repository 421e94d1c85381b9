// The Ringover REST requests (paths, bodies), the call details parser and the error messages.
#include "ringover/rest_wire.hpp"

#include <simdjson.h>

#include "common/json_writer.hpp"
#include "net/client/url.hpp"
#include "providers/cloud/speech_wire.hpp"  // error_body_message

namespace ringoverbot::ringover {

namespace {

namespace dom = simdjson::dom;

std::string_view text_at(dom::element obj, std::string_view key) {
    std::string_view s;
    if (obj[key].get_string().get(s)) return {};
    return s;
}

// A number or a string field as text (Ringover ids are numbers; a number is kept exactly).
std::string id_at(dom::element obj, std::string_view key) {
    dom::element v;
    if (obj[key].get(v)) return {};
    std::uint64_t u = 0;
    if (!v.get_uint64().get(u)) return std::to_string(u);
    std::int64_t i = 0;
    if (!v.get_int64().get(i)) return std::to_string(i);
    std::string_view s;
    if (!v.get_string().get(s)) return std::string(s);
    return {};
}

std::string joined(std::string_view a, std::string_view b) {
    if (a.empty()) return std::string(b);
    if (b.empty()) return std::string(a);
    return std::string(a) + " " + std::string(b);
}

// A contact or user object's name: "firstname lastname", else "name", else "company"; a string
// is the name itself.
std::string name_of(dom::element v) {
    std::string_view s;
    if (!v.get_string().get(s)) return std::string(s);
    if (!v.is_object()) return {};
    std::string n = joined(text_at(v, "firstname"), text_at(v, "lastname"));
    if (n.empty()) n = std::string(text_at(v, "name"));
    if (n.empty()) n = std::string(text_at(v, "concat_name"));
    if (n.empty()) n = std::string(text_at(v, "company"));
    return n;
}

// Keeps what a system prompt may carry: no control characters, at most `max` bytes.
std::string clean(std::string_view s, std::size_t max) {
    std::string out;
    for (const char c : s) {
        if (out.size() >= max) break;
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    return out;
}

}  // namespace

std::string base_url_for_key(std::string_view api_key, std::string_view override_url) {
    if (!override_url.empty()) return std::string(override_url);
    return std::string(api_key.substr(0, 3) == "US_" ? kUsBaseUrl : kEuBaseUrl);
}

std::string_view toggle_name(Toggle t) noexcept {
    switch (t) {
        case Toggle::record:
            return "record";
        case Toggle::hold:
            return "hold";
        case Toggle::mute:
            return "mute";
    }
    return "record";
}

Result<CallDetails> parse_call_details(std::string_view body) {
    if (body.empty()) return Error{Errc::not_found, "call details: no call (an empty answer)"};
    dom::parser parser;
    dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc) || !doc.is_object())
        return Error{Errc::bad_json, "call details: the answer is not a JSON object"};
    dom::element call = doc;
    dom::array list;
    if (!doc["call_list"].get_array().get(list)) {
        if (list.size() == 0) return Error{Errc::not_found, "call details: an empty call_list"};
        call = list.at(0);
        if (!call.is_object())
            return Error{Errc::bad_json, "call details: a call is not an object"};
    }
    CallDetails d;
    d.call_id = id_at(call, "call_id");
    d.channel_id = id_at(call, "channel_id");
    d.direction = std::string(text_at(call, "direction"));
    d.from_number = id_at(call, "from_number");
    d.to_number = id_at(call, "to_number");
    dom::element v;
    if (!call["contact"].get(v)) d.contact_name = name_of(v);
    if (!call["user"].get(v)) d.user_name = name_of(v);
    return d;
}

std::string call_context_text(const CallDetails& d) {
    // The caller is the far end: the "from" of an inbound call, the "to" of an outbound one.
    const bool outbound = d.direction == "out" || d.direction == "OUT" || d.direction == "outbound";
    const std::string number = clean(outbound ? d.to_number : d.from_number, 32);
    const std::string name = clean(d.contact_name, 80);
    if (number.empty() && name.empty()) return {};
    std::string out = "Call details from Ringover:";
    if (!number.empty()) out += " the caller's number is " + number + ".";
    if (!name.empty()) out += " The caller is " + name + " in the company's contacts.";
    return out;
}

namespace detail {

Result<std::string> fill_path(std::string_view templ, std::string_view call_id,
                              std::string_view channel_id, std::string_view what) {
    std::string out;
    std::size_t i = 0;
    while (i < templ.size()) {
        if (templ[i] != '{') {
            out.push_back(templ[i++]);
            continue;
        }
        const std::size_t close = templ.find('}', i);
        if (close == std::string_view::npos)
            return Error{Errc::invalid_argument, "path " + std::string(templ) + ": an open '{'"};
        const std::string_view name = templ.substr(i + 1, close - i - 1);
        std::string_view value;
        if (name == "call_id")
            value = call_id;
        else if (name == "channel_id")
            value = channel_id;
        else if (name == "what")
            value = what;
        else
            return Error{
                Errc::invalid_argument,
                "path " + std::string(templ) + ": unknown placeholder {" + std::string(name) + "}"};
        if (value.empty())
            return Error{Errc::invalid_argument,
                         "path " + std::string(templ) + ": no " + std::string(name) + " given"};
        out += net::url_encode(value);
        i = close + 1;
    }
    if (out.empty() || out.front() != '/')
        return Error{Errc::invalid_argument, "path " + std::string(templ) + ": must start with /"};
    return out;
}

namespace {

Result<RestRequest> make(std::string name, std::string method, Result<std::string> path,
                         std::string body) {
    if (!path) return Error{path.error().code, "ringover " + name + ": " + path.error().message};
    return RestRequest{std::move(name), std::move(method), std::move(*path), std::move(body)};
}

std::string one_field(std::string_view key, std::string_view value) {
    std::string out;
    json::Writer(out).begin_object().field(key, value).end_object();
    return out;
}

}  // namespace

Result<RestRequest> current_calls_request(const RestConfig& c, std::string_view filter_json) {
    std::string body = filter_json.empty() ? std::string("{}") : std::string(filter_json);
    dom::parser parser;
    dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc) || !doc.is_object())
        return Error{Errc::invalid_argument,
                     "ringover current_calls: the filter is not a JSON object"};
    return make("current_calls", "POST", fill_path(c.current_calls_path, {}, {}, {}),
                std::move(body));
}

Result<RestRequest> call_details_request(const RestConfig& c, std::string_view call_id) {
    return make("call_details", "GET", fill_path(c.call_details_path, call_id, {}, {}), {});
}

Result<RestRequest> transfer_request(const RestConfig& c, std::string_view channel_id,
                                     std::string_view number) {
    if (number.empty()) return Error{Errc::invalid_argument, "ringover transfer: no number"};
    return make("transfer", "POST", fill_path(c.transfer_path, {}, channel_id, {}),
                one_field(c.transfer_number_field, number));
}

Result<RestRequest> dtmf_request(const RestConfig& c, std::string_view channel_id,
                                 std::string_view digits) {
    if (digits.empty() || digits.find_first_not_of("0123456789*#ABCDabcd") != std::string::npos)
        return Error{Errc::invalid_argument, "ringover dtmf: digits must be 0-9, *, #, A-D"};
    return make("dtmf", "POST", fill_path(c.dtmf_path, {}, channel_id, {}),
                one_field(c.dtmf_field, digits));
}

Result<RestRequest> toggle_request(const RestConfig& c, std::string_view channel_id, Toggle what) {
    return make(std::string(toggle_name(what)) + "_toggle", "POST",
                fill_path(c.toggle_path, {}, channel_id, toggle_name(what)), {});
}

Result<RestRequest> hangup_request(const RestConfig& c, const CallRef& call) {
    return make("hangup", "POST", fill_path(c.hangup_path, call.call_id, call.channel_id, {}), {});
}

std::string error_text(std::string_view name, std::string_view failure_message) {
    std::string out = "ringover " + std::string(name) + ": ";
    // "HTTP 401: <body>" (net::client's status failures); other failures pass as they are.
    if (failure_message.substr(0, 5) == "HTTP ") {
        const std::size_t colon = failure_message.find(": ");
        if (colon != std::string_view::npos) {
            out += std::string(failure_message.substr(0, colon)) + ": " +
                   providers::cloud::error_body_message(failure_message.substr(colon + 2));
            return out;
        }
    }
    out += std::string(failure_message);
    return out;
}

}  // namespace detail
}  // namespace ringoverbot::ringover
