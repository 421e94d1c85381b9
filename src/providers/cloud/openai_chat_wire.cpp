// OpenAI chat completions, streamed: the request body, the tools the agent declares, and the
// decoding of the "chat.completion.chunk" objects the SSE events carry. simdjson's DOM parser
// validates a whole event before anything in it is used (a chunk is small: one token).
#include "providers/cloud/openai_chat_wire.hpp"

#include <simdjson.h>

#include <array>
#include <cstddef>

#include "common/json_writer.hpp"
#include "common/text.hpp"

namespace ringoverbot::providers::cloud {
namespace {

namespace dom = simdjson::dom;

// Far above anything a real tool call carries (a number, digits, a URL): a bound on what a
// hostile or broken server can make us buffer.
constexpr std::size_t kMaxArgumentsBytes = 64 * 1024;
constexpr std::size_t kMaxToolCalls = 32;
constexpr std::size_t kMaxNumberChars = 32;
constexpr std::size_t kMaxDigitsChars = 128;
constexpr std::size_t kMaxUrlChars = 4096;

std::string_view role_name(Role role) {
    switch (role) {
        case Role::system:
            return "system";
        case Role::assistant:
            return "assistant";
        case Role::user:
            break;
    }
    return "user";
}

struct ToolSpec {
    std::string_view name, description, parameters;
};

constexpr std::array<ToolSpec, 4> kTools{{
    {"transfer_call",
     "Transfer the caller to another phone number. Use only when the caller asks for a person "
     "or a service you cannot handle.",
     R"({"type":"object","properties":{"number":{"type":"string","description":)"
     R"("The phone number to transfer to, digits with an optional leading +, e.g. +33123456789"}},)"
     R"("required":["number"]})"},
    {"send_digits", "Send DTMF tones on the call, e.g. to navigate a phone menu.",
     R"({"type":"object","properties":{"digits":{"type":"string","description":)"
     R"("The keys to press: 0-9, *, #, A-D; w pauses half a second"}},"required":["digits"]})"},
    {"play_audio", "Play an audio file to the caller.",
     R"({"type":"object","properties":{"url":{"type":"string","description":)"
     R"("The http or https URL of the audio file"}},"required":["url"]})"},
    {"end_call", "Hang up the call, after the words said so far have been played.",
     R"({"type":"object","properties":{}})"},
}};

Error bad_call(std::string_view name, std::string_view what) {
    return Error{Errc::invalid_argument, "tool " + std::string(name) + ": " + std::string(what)};
}

// A string argument, or an unsigned integer the model wrote without quotes (digits, numbers).
Result<std::string> text_argument(std::string_view tool, dom::object args, std::string_view key,
                                  bool allow_integer) {
    dom::element v;
    if (args[key].get(v)) return bad_call(tool, "missing \"" + std::string(key) + "\"");
    std::string_view s;
    if (!v.get_string().get(s)) {
        if (s.empty()) return bad_call(tool, "empty \"" + std::string(key) + "\"");
        return std::string(s);
    }
    std::uint64_t n = 0;
    if (allow_integer && v.is_uint64() && !v.get_uint64().get(n)) return std::to_string(n);
    return bad_call(tool, "\"" + std::string(key) + "\" is not a string");
}

bool is_http_url(std::string_view url) {
    const auto lower_prefix = [&](std::string_view prefix) {
        if (url.size() < prefix.size()) return false;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            const char c = url[i];
            const char lc = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
            if (lc != prefix[i]) return false;
        }
        return true;
    };
    std::size_t host_at = 0;
    if (lower_prefix("https://"))
        host_at = 8;
    else if (lower_prefix("http://"))
        host_at = 7;
    else
        return false;
    // RFC 3986: spaces, controls, non-ASCII and these must be percent-encoded in a URL.
    for (const char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f ||
            std::string_view("\"<>\\^`{|}").find(c) != std::string_view::npos)
            return false;
    }
    const auto host_end = url.find_first_of("/?#", host_at);
    const auto authority = url.substr(
        host_at, host_end == std::string_view::npos ? std::string_view::npos : host_end - host_at);
    // A host, not only "user@" or ":port".
    const auto at = authority.rfind('@');
    const auto host = at == std::string_view::npos ? authority : authority.substr(at + 1);
    return !host.empty() && host.front() != ':';
}

// The human text of an OpenAI-style error value ({"message","type","code"} or a bare string).
std::string error_text(dom::element err) {
    std::string_view s;
    if (!err.get_string().get(s)) return std::string(s);
    std::string out;
    if (err["message"].get_string().get(s) == simdjson::SUCCESS) out.assign(s);
    if (out.empty()) out = "unspecified error";
    std::string detail;
    if (!err["type"].get_string().get(s) && !s.empty()) detail.assign(s);
    dom::element code;
    if (!err["code"].get(code) && !code.is_null()) {
        if (!detail.empty()) detail += ", ";
        if (!code.get_string().get(s))
            detail.append(s);
        else
            detail += simdjson::minify(code);
    }
    if (!detail.empty()) out += " (" + detail + ")";
    return out;
}

}  // namespace

std::string chat_tools_json() {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& t : kTools) {
        w.begin_object().field("type", "function").key("function").begin_object();
        w.field("name", t.name).field("description", t.description);
        w.key("parameters").raw(t.parameters);
        w.end_object().end_object();
    }
    w.end_array();
    return out;
}

std::string build_chat_request(const ChatParams& params, const std::vector<Message>& messages) {
    std::string out;
    out.reserve(256 + messages.size() * 64);
    json::Writer w(out);
    w.begin_object().field("model", params.model).key("messages").begin_array();
    for (const auto& m : messages)
        w.begin_object().field("role", role_name(m.role)).field("content", m.content).end_object();
    w.end_array();
    w.field_bool("stream", true);
    if (params.temperature >= 0) w.key("temperature").number(params.temperature);
    if (params.max_tokens > 0) w.key("max_tokens").uinteger(params.max_tokens);
    if (!params.user.empty()) w.field("user", params.user);
    if (params.tools) {
        w.key("tools").raw(chat_tools_json());
        w.field("tool_choice", "auto");
    }
    w.end_object();
    return out;
}

Result<Action> tool_call_to_action(std::string_view name, std::string_view arguments_json) {
    ActionKind kind = ActionKind::end_call;
    if (name == "transfer_call")
        kind = ActionKind::transfer;
    else if (name == "send_digits")
        kind = ActionKind::digits;
    else if (name == "play_audio")
        kind = ActionKind::play;
    else if (name == "end_call")
        kind = ActionKind::end_call;
    else if (name.empty())
        return Error{Errc::invalid_argument, "tool call without a name"};
    else
        return Error{Errc::invalid_argument,
                     "unknown tool \"" + std::string(name.substr(0, 64)) + "\""};

    // Some servers send "" rather than "{}" for a call without arguments.
    const auto args_text = text::trim(arguments_json, text::kJsonBlanks);
    if (args_text.empty()) {
        if (kind == ActionKind::end_call) return Action{kind, {}};
        return bad_call(name, "no arguments");
    }
    dom::parser parser;
    dom::element doc;
    if (const auto e = parser.parse(args_text.data(), args_text.size()).get(doc))
        return bad_call(
            name, std::string("arguments are not valid JSON (") + simdjson::error_message(e) + ")");
    dom::object args;
    if (doc.get_object().get(args)) return bad_call(name, "arguments are not a JSON object");

    switch (kind) {
        case ActionKind::end_call:
            return Action{kind, {}};
        case ActionKind::transfer: {
            auto number = text_argument(name, args, "number", true);
            if (!number) return number.error();
            const std::string& n = *number;
            const std::size_t digits_at = n.front() == '+' ? 1 : 0;
            if (n.size() > kMaxNumberChars) return bad_call(name, "\"number\" is too long");
            if (n.size() == digits_at) return bad_call(name, "\"number\" has no digits");
            for (std::size_t i = digits_at; i < n.size(); ++i)
                if (n[i] < '0' || n[i] > '9')
                    return bad_call(name, "\"number\" may hold only digits and a leading +");
            return Action{kind, std::move(*number)};
        }
        case ActionKind::digits: {
            auto digits = text_argument(name, args, "digits", true);
            if (!digits) return digits.error();
            if (digits->size() > kMaxDigitsChars) return bad_call(name, "\"digits\" is too long");
            for (const char c : *digits)
                if (!((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') ||
                      c == 'w'))
                    return bad_call(name, "\"digits\" may hold only 0-9 * # A-D w");
            return Action{kind, std::move(*digits)};
        }
        case ActionKind::play: {
            auto url = text_argument(name, args, "url", false);
            if (!url) return url.error();
            if (url->size() > kMaxUrlChars) return bad_call(name, "\"url\" is too long");
            if (!is_http_url(*url)) return bad_call(name, "\"url\" is not an http(s) URL");
            return Action{kind, std::move(*url)};
        }
    }
    return Error{Errc::internal, "tool: unhandled kind"};
}

Status ChatStreamDecoder::feed(std::string_view data, ChatStreamSink& sink) {
    const auto text = text::trim(data, text::kJsonBlanks);
    if (done_) return {};  // anything after [DONE] is not part of the answer
    if (text == "[DONE]") {
        done_ = true;
        return flush_calls(sink);
    }
    if (text.empty()) return {};  // "data:" alone, a keep-alive some proxies send

    dom::parser parser;
    dom::element doc;
    if (const auto e = parser.parse(text.data(), text.size()).get(doc))
        return {Errc::protocol,
                std::string("chat stream: undecodable JSON (") + simdjson::error_message(e) + ")"};
    dom::object chunk;
    if (doc.get_object().get(chunk))
        return {Errc::protocol, "chat stream: an event that is not a JSON object"};

    // {"error":{...}} (OpenAI, llama.cpp), {"error":"..."} (Ollama), or vLLM's
    // {"object":"error","message":..}.
    dom::element err;
    if (!chunk["error"].get(err) && !err.is_null())
        return {Errc::provider_failed, "chat stream: " + error_text(err)};
    std::string_view object_type;
    if (!chunk["object"].get_string().get(object_type) && object_type == "error")
        return {Errc::provider_failed, "chat stream: " + error_text(doc)};

    // A usage-only chunk has "choices": [] (or null, or none at all).
    dom::element choices_el;
    if (chunk["choices"].get(choices_el) || choices_el.is_null()) return {};
    dom::array choices;
    if (choices_el.get_array().get(choices))
        return {Errc::protocol, "chat stream: \"choices\" is not an array"};

    Status first_error;
    for (dom::element choice : choices) {
        // One answer is asked for (n = 1); other choices are not ours to mix in.
        std::uint64_t choice_index = 0;
        dom::element idx;
        if (!choice["index"].get(idx) && !idx.is_null() && idx.get_uint64().get(choice_index))
            return {Errc::protocol, "chat stream: a choice index that is not a number"};
        if (choice_index != 0) continue;

        dom::element delta;
        if (!choice["delta"].get(delta) && delta.is_object()) {
            dom::element content;
            std::string_view token;
            if (!delta["content"].get(content) && !content.is_null()) {
                if (content.get_string().get(token))
                    return {Errc::protocol, "chat stream: \"content\" is not a string"};
                if (!token.empty()) sink.on_token(token);
            }

            dom::element calls_el;
            if (!delta["tool_calls"].get(calls_el) && !calls_el.is_null()) {
                dom::array calls;
                if (calls_el.get_array().get(calls))
                    return {Errc::protocol, "chat stream: \"tool_calls\" is not an array"};
                std::uint64_t position = 0;
                for (dom::element call : calls) {
                    if (!call.is_object())
                        return {Errc::protocol, "chat stream: a tool call that is not an object"};
                    std::string_view name;
                    dom::element fn;
                    const bool has_fn = !call["function"].get(fn) && fn.is_object();
                    if (has_fn) {
                        dom::element name_el;
                        if (!fn["name"].get(name_el) && !name_el.is_null() &&
                            name_el.get_string().get(name))
                            return {Errc::protocol,
                                    "chat stream: a tool name that is not a string"};
                    }

                    std::uint64_t key = 0;
                    dom::element index_el;
                    if (!call["index"].get(index_el) && !index_el.is_null()) {
                        if (index_el.get_uint64().get(key))
                            return {Errc::protocol,
                                    "chat stream: a tool call index that is not a number"};
                    } else if (!name.empty()) {
                        // No index (some llama.cpp/Ollama builds): a named element starts a call
                        // at its position, or after the last call when that slot is taken.
                        key = position;
                        const auto it = calls_.find(key);
                        if (it != calls_.end() && !it->second.name.empty())
                            key = calls_.rbegin()->first + 1;
                    } else {
                        // A nameless fragment without index continues the latest call.
                        key = calls_.empty() ? position : calls_.rbegin()->first;
                    }
                    ++position;

                    const bool is_new = calls_.find(key) == calls_.end();
                    if (is_new && calls_.size() >= kMaxToolCalls)
                        return {Errc::protocol, "chat stream: too many tool calls"};
                    auto& pending = calls_[key];
                    // The name comes in the first fragment; servers that repeat it are fine.
                    if (pending.name.empty()) pending.name.assign(name);
                    if (has_fn) {
                        dom::element args;
                        if (!fn["arguments"].get(args) && !args.is_null()) {
                            std::string_view piece;
                            if (!args.get_string().get(piece))
                                pending.arguments.append(piece);
                            else if (args.is_object())  // a parsed object instead of its text
                                pending.arguments += simdjson::minify(args);
                            else
                                return {Errc::protocol,
                                        "chat stream: tool arguments that are not a string"};
                            if (pending.arguments.size() > kMaxArgumentsBytes)
                                return {Errc::protocol, "chat stream: tool arguments too long"};
                        }
                    }
                }
            }
        }

        dom::element reason;
        std::string_view reason_text;
        if (!choice["finish_reason"].get(reason) && !reason.is_null()) {
            if (reason.get_string().get(reason_text))
                return {Errc::protocol, "chat stream: \"finish_reason\" is not a string"};
            finish_reason_.assign(reason_text);
            finished_ = true;
            if (auto st = flush_calls(sink); !st && first_error) first_error = std::move(st);
        }
    }
    return first_error;
}

Status ChatStreamDecoder::finish(ChatStreamSink& sink) {
    if (done_) return {};
    if (!finished_) {
        // A cut stream: the arguments of a pending call may be cut too ("+3361" for a longer
        // number is still valid), so nothing pending is acted on.
        calls_.clear();
        return {Errc::protocol, "chat stream: ended without finish_reason or [DONE]"};
    }
    done_ = true;
    return flush_calls(sink);
}

Status ChatStreamDecoder::flush_calls(ChatStreamSink& sink) {
    Status first_error;
    for (const auto& [index, call] : calls_) {
        auto action = tool_call_to_action(call.name, call.arguments);
        if (action)
            sink.on_action(*action);
        else if (first_error)
            first_error = action.error();
    }
    calls_.clear();
    return first_error;
}

}  // namespace ringoverbot::providers::cloud
