// Canonical JSON and JWT header/claims reading on one reusable simdjson on-demand parser.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/json_writer.hpp"
#include "common/text.hpp"
#include "webhook/json_engine_impl.hpp"

namespace ringoverbot::webhook::detail {

namespace od = simdjson::ondemand;

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The JWT registered claims, which are not part of a flat-form payload, plus `url`.
bool is_claim_name(std::string_view k) {
    return k == "url" || k == "exp" || k == "nbf" || k == "iat" || k == "iss" || k == "sub" ||
           k == "aud" || k == "jti";
}

// Walks a document once, validating everything and writing the canonical text.
class Canonicalizer {
  public:
    // validate_only: the same walk and checks, but nothing is written (no allocation, no sort).
    Canonicalizer(std::string& detail, bool validate_only)
        : detail_(detail), validate_only_(validate_only) {}

    bool value(od::value v, std::string& out, int depth, std::string* capture) {
        od::json_type type;
        if (v.type().get(type)) return fail("invalid JSON value");
        switch (type) {
            case od::json_type::object: {
                od::object o;
                if (v.get_object().get(o)) return fail("invalid object");
                return object(o, out, depth + 1, false, nullptr);
            }
            case od::json_type::array: {
                od::array a;
                if (v.get_array().get(a)) return fail("invalid array");
                return array(a, out, depth + 1);
            }
            case od::json_type::string: {
                std::string_view s;
                if (v.get_string().get(s)) return fail("invalid string");
                if (!validate_only_) json::append_string(out, s);
                if (capture != nullptr) capture->assign(s);
                return true;
            }
            case od::json_type::number: {
                std::string& dst = validate_only_ ? number_scratch_ : out;
                if (validate_only_) number_scratch_.clear();
                if (!normalize_number(text::trim_right(v.raw_json_token(), text::kJsonBlanks), dst))
                    return fail("invalid number");
                return true;
            }
            case od::json_type::boolean: {
                bool b = false;
                if (v.get_bool().get(b)) return fail("invalid literal");
                if (!validate_only_) out += b ? "true" : "false";
                return true;
            }
            case od::json_type::null: {
                if (text::trim_right(v.raw_json_token(), text::kJsonBlanks) != "null")
                    return fail("invalid literal");
                if (!validate_only_) out += "null";
                return true;
            }
        }
        return fail("invalid JSON value");
    }

    bool object(od::object o, std::string& out, int depth, bool strip_claims, Route* route) {
        if (depth > max_json_depth) return fail("JSON nested too deeply");
        std::vector<std::pair<std::string, std::string>> members;
        std::string skipped;
        for (auto field : o) {
            std::string_view key;
            if (field.unescaped_key().get(key)) return fail("invalid object key");
            od::value v;
            if (field.value().get(v)) return fail("invalid object member");
            std::string* capture = nullptr;
            if (route != nullptr && key == "resource") capture = &route->resource;
            if (route != nullptr && key == "event") capture = &route->event;
            if (validate_only_) {
                if (!value(v, out, depth, capture)) return false;
                continue;
            }
            if (strip_claims && is_claim_name(key)) {
                skipped.clear();
                if (!value(v, skipped, depth, nullptr)) return false;
                continue;
            }
            members.emplace_back(std::string(key), std::string());
            if (!value(v, members.back().second, depth, capture)) return false;
        }
        if (validate_only_) return true;
        std::stable_sort(members.begin(), members.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        out += '{';
        bool first = true;
        for (const auto& [k, v] : members) {
            if (!first) out += ',';
            first = false;
            json::append_string(out, k);
            out += ':';
            out += v;
        }
        out += '}';
        return true;
    }

    bool array(od::array a, std::string& out, int depth) {
        if (depth > max_json_depth) return fail("JSON nested too deeply");
        if (!validate_only_) out += '[';
        bool first = true;
        for (auto element : a) {
            od::value v;
            if (element.get(v)) return fail("invalid array element");
            if (!first && !validate_only_) out += ',';
            first = false;
            if (!value(v, out, depth, nullptr)) return false;
        }
        if (!validate_only_) out += ']';
        return true;
    }

  private:
    bool fail(std::string_view why) {
        if (detail_.empty()) detail_.assign(why);
        return false;
    }
    std::string& detail_;
    bool validate_only_;
    std::string number_scratch_;
};

// After the root was walked: anything but whitespace left is an error.
bool at_document_end(od::document& doc) {
    const char* location = nullptr;
    return doc.current_location().get(location) != simdjson::SUCCESS;
}

}  // namespace

bool normalize_number(std::string_view t, std::string& out) {
    std::size_t i = 0;
    const bool negative = i < t.size() && t[i] == '-';
    if (negative) ++i;
    // Integer part: "0" or [1-9][0-9]*.
    const std::size_t int_begin = i;
    if (i >= t.size() || !is_digit(t[i])) return false;
    if (t[i] == '0') {
        ++i;
    } else {
        while (i < t.size() && is_digit(t[i])) ++i;
    }
    const std::size_t int_end = i;
    std::size_t frac_begin = i, frac_end = i;
    if (i < t.size() && t[i] == '.') {
        ++i;
        frac_begin = i;
        while (i < t.size() && is_digit(t[i])) ++i;
        frac_end = i;
        if (frac_end == frac_begin) return false;
    }
    std::int64_t exponent = 0;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        bool exp_negative = false;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) exp_negative = t[i++] == '-';
        if (i >= t.size() || !is_digit(t[i])) return false;
        constexpr std::int64_t exp_limit = 1'000'000'000'000LL;  // far beyond any real value
        while (i < t.size() && is_digit(t[i])) {
            if (exponent < exp_limit) exponent = exponent * 10 + (t[i] - '0');
            ++i;
        }
        if (exp_negative) exponent = -exponent;
    }
    if (i != t.size()) return false;

    // value = D * 10^(exponent - frac_len), D = int digits then frac digits; strip zeros on
    // both ends of D without copying it.
    const std::size_t int_len = int_end - int_begin, frac_len = frac_end - frac_begin;
    const std::size_t total = int_len + frac_len;
    const auto digit = [&](std::size_t k) {
        return k < int_len ? t[int_begin + k] : t[frac_begin + (k - int_len)];
    };
    exponent -= static_cast<std::int64_t>(frac_len);
    std::size_t lead = 0;
    while (lead < total && digit(lead) == '0') ++lead;
    if (lead == total) {
        out += '0';
        return true;
    }
    std::size_t end = total;
    while (digit(end - 1) == '0') {
        --end;
        ++exponent;
    }
    if (negative) out += '-';
    for (std::size_t k = lead; k < end; ++k) out += digit(k);
    out += 'e';
    json::append_int(out, exponent);
    return true;
}

JsonEngine::JsonEngine() : impl_(std::make_unique<Impl>()) {}
JsonEngine::~JsonEngine() = default;

Status JsonEngine::walk(std::string_view json, std::string* out, Route* route, bool strip_claims) {
    if (route != nullptr) {
        route->resource.clear();
        route->event.clear();
    }
    od::document doc;
    if (auto e = impl_->load(json, doc)) return {Errc::bad_json, simdjson::error_message(e)};
    od::object root;
    if (doc.get_object().get(root)) return {Errc::bad_json, "not a JSON object"};
    std::string detail, unused;
    Canonicalizer canon(detail, out == nullptr);
    if (!canon.object(root, out != nullptr ? *out : unused, 1, strip_claims, route))
        return {Errc::bad_json, detail};
    if (!at_document_end(doc)) return {Errc::bad_json, "content after the JSON object"};
    return {};
}

Status JsonEngine::canonicalize(std::string_view json, std::string& out, Route* route,
                                bool strip_claims) {
    out.clear();
    return walk(json, &out, route, strip_claims);
}

Status JsonEngine::validate(std::string_view json, Route* route) {
    return walk(json, nullptr, route, false);
}

Result<std::optional<std::string>> JsonEngine::read_alg(std::string_view header_json) {
    if (auto st = validate(header_json, nullptr); !st) return st.error();
    od::document doc;
    od::object root;
    if (impl_->load(header_json, doc) || doc.get_object().get(root))
        return Error{Errc::bad_json, "header is not a JSON object"};
    std::optional<std::string> alg;
    for (auto field : root) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v))
            return Error{Errc::bad_json, "invalid header member"};
        if (key != "alg") continue;
        std::string_view s;
        od::json_type type;
        if (!v.type().get(type) && type == od::json_type::string && !v.get_string().get(s))
            alg = std::string(s);
        else
            alg.reset();
    }
    return alg;
}

Status JsonEngine::read_claims(std::string_view claims_json, Claims& out) {
    out = Claims{};
    od::document doc;
    if (auto e = impl_->load(claims_json, doc)) return {Errc::bad_json, simdjson::error_message(e)};
    od::object root;
    if (doc.get_object().get(root)) return {Errc::bad_json, "claims are not a JSON object"};
    for (auto field : root) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v))
            return {Errc::bad_json, "invalid claims member"};
        od::json_type type;
        if (v.type().get(type)) return {Errc::bad_json, "invalid claims value"};
        if (key == "url") {
            std::string_view s;
            if (type != od::json_type::string || v.get_string().get(s))
                return {Errc::bad_json, "url claim is not a string"};
            out.has_url = true;
            out.url.assign(s);
        } else if (key == "exp" || key == "nbf") {
            if (type == od::json_type::null) continue;
            double d = 0;
            if (type != od::json_type::number || v.get_double().get(d))
                return {Errc::bad_json, "exp/nbf claim is not a number"};
            (key == "exp" ? out.exp : out.nbf) = d;
        } else if (key == "payload") {
            if (type == od::json_type::null) continue;
            if (type == od::json_type::object) {
                od::object o;
                std::string_view raw;
                if (v.get_object().get(o) || o.raw_json().get(raw))
                    return {Errc::bad_json, "invalid payload claim"};
                out.payload.assign(raw);
            } else if (type == od::json_type::string) {
                // A payload sent as JSON text; canonicalized (and so validated) later.
                std::string_view s;
                if (v.get_string().get(s)) return {Errc::bad_json, "invalid payload claim"};
                out.payload.assign(s);
            } else {
                return {Errc::bad_json, "payload claim is neither an object nor JSON text"};
            }
            out.has_payload = true;
        }
    }
    if (!at_document_end(doc)) return {Errc::bad_json, "content after the claims object"};
    return {};
}

}  // namespace ringoverbot::webhook::detail
