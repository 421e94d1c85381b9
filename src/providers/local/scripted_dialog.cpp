#include "providers/local/scripted_dialog.hpp"

#include <simdjson.h>

#include <cctype>

namespace ringoverbot::providers::local {
namespace {

using simdjson::ondemand::json_type;

Error at(const std::string& path, std::string_view what) {
    return Error{Errc::invalid_argument, path + ": " + std::string(what)};
}

std::optional<Error> read_text(simdjson::ondemand::value v, const std::string& path,
                               std::string& out, bool allow_number = false) {
    json_type t;
    if (v.type().get(t)) return at(path, "invalid JSON");
    if (t == json_type::string) {
        std::string_view s;
        if (v.get_string().get(s)) return at(path, "invalid string");
        out.assign(s);
        return std::nullopt;
    }
    if (allow_number && t == json_type::number) {
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())))
            raw.remove_suffix(1);
        for (const char c : raw)
            if (!std::isdigit(static_cast<unsigned char>(c))) return at(path, "expected digits");
        out.assign(raw);
        return std::nullopt;
    }
    return at(path, allow_number ? "expected a string of digits" : "expected a string");
}

std::optional<Error> parse_intent(simdjson::ondemand::object obj, const std::string& path,
                                  DialogIntent& intent) {
    bool has_when = false, has_say = false;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return at(path, "invalid key");
        const std::string fpath = path + "." + std::string(key);
        simdjson::ondemand::value v;
        if (field.value().get(v)) return at(fpath, "invalid value");
        if (key == "when") {
            simdjson::ondemand::array arr;
            if (v.get_array().get(arr)) return at(fpath, "expected a non-empty array of strings");
            std::size_t i = 0;
            for (auto item : arr) {
                std::string phrase;
                simdjson::ondemand::value iv;
                if (item.get(iv)) return at(fpath, "invalid JSON");
                if (auto e = read_text(iv, fpath + "[" + std::to_string(i) + "]", phrase)) return e;
                auto words = normalize_words(phrase);
                if (words.empty())
                    return at(fpath + "[" + std::to_string(i) + "]", "phrase has no words");
                intent.when.push_back(std::move(words));
                ++i;
            }
            if (i == 0) return at(fpath, "expected a non-empty array of strings");
            has_when = true;
        } else if (key == "say") {
            if (auto e = read_text(v, fpath, intent.say)) return e;
            has_say = true;
        } else if (key == "transfer" || key == "digits") {
            std::string s;
            if (auto e = read_text(v, fpath, s, true)) return e;
            if (s.empty()) return at(fpath, "must not be empty");
            const std::string_view allowed = key == "transfer" ? "+0123456789" : "0123456789*#ABCD";
            if (s.find_first_not_of(allowed) != std::string::npos ||
                s.find('+', 1) != std::string::npos)
                return at(fpath, key == "transfer"
                                     ? "expected a phone number (digits, optional leading +)"
                                     : "expected DTMF digits (0-9 * # A-D)");
            (key == "transfer" ? intent.transfer : intent.digits) = std::move(s);
        } else if (key == "end") {
            if (v.get_bool().get(intent.end)) return at(fpath, "expected true or false");
        } else {
            return at(fpath, "unknown key");
        }
    }
    if (!has_when) return at(path + ".when", "missing");
    if (!has_say) return at(path + ".say", "missing");
    return std::nullopt;
}

std::optional<Error> parse_misunderstood(simdjson::ondemand::value v, const std::string& path,
                                         DialogMisunderstood& out) {
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj)) return at(path, "expected an object");
    bool has_say = false, has_transfer = false, end = false;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return at(path, "invalid key");
        const std::string fpath = path + "." + std::string(key);
        simdjson::ondemand::value fv;
        if (field.value().get(fv)) return at(fpath, "invalid value");
        if (key == "say") {
            if (auto e = read_text(fv, fpath, out.say)) return e;
            has_say = true;
        } else if (key == "transfer") {
            if (auto e = read_text(fv, fpath, out.transfer, true)) return e;
            if (out.transfer.empty() ||
                out.transfer.find_first_not_of("+0123456789") != std::string::npos ||
                out.transfer.find('+', 1) != std::string::npos)
                return at(fpath, "expected a phone number (digits, optional leading +)");
            has_transfer = true;
        } else if (key == "end") {
            if (fv.get_bool().get(end)) return at(fpath, "expected true or false");
        } else {
            return at(fpath, "unknown key");
        }
    }
    if (!has_say) return at(path + ".say", "missing");
    if (has_transfer == end) return at(path, "expected either \"transfer\" or \"end\": true");
    return std::nullopt;
}

}  // namespace

const DialogIntent* Dialog::match(std::string_view caller_words) const {
    const auto words = normalize_words(caller_words);
    for (const auto& intent : intents) {
        for (const auto& phrase : intent.when)
            if (text::contains_words(words, phrase)) return &intent;
    }
    return nullptr;
}

std::vector<std::vector<std::string>> Dialog::phrases() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& intent : intents)
        for (const auto& p : intent.when) out.push_back(p);
    return out;
}

Result<Dialog> parse_dialog(std::string_view json) {
    simdjson::padded_string padded(json);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object root;
    if (parser.iterate(padded).get(doc)) return at("$", "invalid JSON");
    if (doc.get_object().get(root)) return at("$", "expected an object");
    Dialog dialog;
    bool has_greeting = false, has_fallback = false, has_intents = false;
    for (auto field : root) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return at("$", "invalid JSON");
        const std::string path = "$." + std::string(key);
        simdjson::ondemand::value v;
        if (field.value().get(v)) return at(path, "invalid JSON");
        if (key == "greeting") {
            if (auto e = read_text(v, path, dialog.greeting)) return *e;
            has_greeting = true;
        } else if (key == "fallback") {
            if (auto e = read_text(v, path, dialog.fallback)) return *e;
            has_fallback = true;
        } else if (key == "confirm_end" || key == "confirm_transfer") {
            std::string& prompt =
                key == "confirm_end" ? dialog.confirm_end : dialog.confirm_transfer;
            if (auto e = read_text(v, path, prompt)) return *e;
            if (text::trim(prompt).empty()) return at(path, "must not be empty");
        } else if (key == "reprompt" || key == "idle_goodbye") {
            std::string& said = key == "reprompt" ? dialog.reprompt : dialog.idle_goodbye;
            if (auto e = read_text(v, path, said)) return *e;
            if (text::trim(said).empty()) return at(path, "must not be empty");
        } else if (key == "misunderstood") {
            DialogMisunderstood m;
            if (auto e = parse_misunderstood(v, path, m)) return *e;
            dialog.misunderstood = std::move(m);
        } else if (key == "intents") {
            simdjson::ondemand::array arr;
            if (v.get_array().get(arr)) return at(path, "expected an array of intents");
            std::size_t i = 0;
            for (auto item : arr) {
                const std::string ipath = path + "[" + std::to_string(i++) + "]";
                simdjson::ondemand::object obj;
                if (item.get_object().get(obj)) return at(ipath, "expected an object");
                DialogIntent intent;
                if (auto e = parse_intent(obj, ipath, intent)) return *e;
                dialog.intents.push_back(std::move(intent));
            }
            has_intents = true;
        } else {
            return at(path, "unknown key");
        }
    }
    if (!has_greeting) return at("$.greeting", "missing");
    if (!has_fallback) return at("$.fallback", "missing");
    if (!has_intents) return at("$.intents", "missing");
    return dialog;
}

}  // namespace ringoverbot::providers::local
