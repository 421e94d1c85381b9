// ringoverbot-vectors: checks every signed webhook request of a vectors file (the format of
// tests/data/webhooks.json, described in src/webhook/README.md §Test vectors) with the library's C
// ABI, the way a host would call it, and prints one line per vector. Exit 0 when every vector gives
// its expected verdict and fields, 1 otherwise, 2 on bad usage or an unreadable file.
#include <simdjson.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot.h"

namespace {

struct Vector {
    std::string name, key, url, method, body;
    std::vector<std::string> header_names, header_values;
    double now = 0;
    std::vector<std::string> expect;  // acceptable reasons
    std::vector<std::pair<std::string, std::string>> fields;
};

bool read_string(simdjson::ondemand::value v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out.assign(s);
    return true;
}

// Fields are compared as decimal strings: numbers keep their raw JSON text.
bool read_scalar_text(simdjson::ondemand::value v, std::string& out) {
    simdjson::ondemand::json_type t;
    if (v.type().get(t)) return false;
    if (t == simdjson::ondemand::json_type::string) return read_string(v, out);
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n')) raw.remove_suffix(1);
    out.assign(raw);
    return true;
}

bool parse_vector(simdjson::ondemand::object obj, Vector& vec) {
    for (auto field : obj) {
        std::string_view k;
        if (field.unescaped_key().get(k)) return false;
        simdjson::ondemand::value v;
        if (field.value().get(v)) return false;
        if (k == "name") {
            if (!read_string(v, vec.name)) return false;
        } else if (k == "key") {
            if (!read_string(v, vec.key)) return false;
        } else if (k == "url") {
            if (!read_string(v, vec.url)) return false;
        } else if (k == "method") {
            if (!read_string(v, vec.method)) return false;
        } else if (k == "body") {
            if (!read_string(v, vec.body)) return false;
        } else if (k == "now") {
            if (v.get_double().get(vec.now)) return false;
        } else if (k == "headers") {
            simdjson::ondemand::object h;
            if (v.get_object().get(h)) return false;
            for (auto hf : h) {
                std::string_view hk;
                std::string hv;
                if (hf.unescaped_key().get(hk)) return false;
                simdjson::ondemand::value hval;
                if (hf.value().get(hval) || !read_string(hval, hv)) return false;
                vec.header_names.emplace_back(hk);
                vec.header_values.push_back(std::move(hv));
            }
        } else if (k == "expect") {
            simdjson::ondemand::json_type t;
            if (v.type().get(t)) return false;
            if (t == simdjson::ondemand::json_type::array) {
                for (auto item : v.get_array()) {
                    std::string_view s;
                    if (item.get_string().get(s)) return false;
                    vec.expect.emplace_back(s);
                }
            } else {
                std::string s;
                if (!read_string(v, s)) return false;
                vec.expect.push_back(std::move(s));
            }
        } else if (k == "fields") {
            simdjson::ondemand::object f;
            if (v.get_object().get(f)) return false;
            for (auto ff : f) {
                std::string_view fk;
                std::string fv;
                simdjson::ondemand::value fval;
                if (ff.unescaped_key().get(fk) || ff.value().get(fval) ||
                    !read_scalar_text(fval, fv))
                    return false;
                vec.fields.emplace_back(std::string(fk), std::move(fv));
            }
        }
    }
    return true;
}

std::string strip_query(const std::string& url) { return url.substr(0, url.find('?')); }

// Verifies one vector; returns an empty string when it passes, else what went wrong.
std::string check(const Vector& vec, const std::string& ivr_token) {
    rob_webhook_verifier_params p;
    rob_webhook_verifier_params_init(&p, sizeof p);
    const std::string public_url = strip_query(vec.url);
    p.public_url = public_url.c_str();
    p.call_events_key = vec.key.c_str();
    p.ivr_token = ivr_token.empty() ? nullptr : ivr_token.c_str();
    rob_webhook_verifier* verifier = nullptr;
    int rc = rob_webhook_verifier_create(&p, &verifier);
    if (rc != ROB_OK) return std::string("verifier: ") + rob_strerror(rc);

    std::vector<const char*> names, values;
    for (std::size_t i = 0; i < vec.header_names.size(); ++i) {
        names.push_back(vec.header_names[i].c_str());
        values.push_back(vec.header_values[i].c_str());
    }
    rob_webhook_request req;
    rob_webhook_request_init(&req, sizeof req);
    req.method = vec.method.c_str();
    req.url = vec.url.c_str();
    req.header_names = names.data();
    req.header_values = values.data();
    req.header_count = names.size();
    req.body = reinterpret_cast<const uint8_t*>(vec.body.data());
    req.body_len = vec.body.size();
    req.now = vec.now;

    std::printf("%-40s ", vec.name.c_str());
    rob_webhook_result* result = nullptr;
    rc = rob_webhook_verify(verifier, &req, &result);
    std::string problem;
    if (rc != ROB_OK) {
        problem = std::string("verify: ") + rob_strerror(rc);
    } else {
        const std::string reason = rob_webhook_reason_name(rob_webhook_result_reason(result));
        bool expected = false;
        for (const auto& e : vec.expect) expected = expected || e == reason;
        if (!expected) {
            problem = "got " + reason + " (" + rob_webhook_result_detail(result) + ")";
        } else {
            for (const auto& [name, want] : vec.fields) {
                const char* got = rob_webhook_result_field(result, name.c_str());
                if (got == nullptr || want != got) {
                    problem = name + ": got " + (got ? got : "(absent)") + ", want " + want;
                    break;
                }
            }
        }
        std::printf("%-18s ", reason.c_str());
    }
    rob_webhook_result_destroy(result);
    rob_webhook_verifier_destroy(verifier);
    return problem;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string_view(argv[1]) == "--help") {
        std::fprintf(stderr, "usage: ringoverbot-vectors VECTORS.json\n");
        return 2;
    }
    simdjson::padded_string text;
    if (simdjson::padded_string::load(argv[1]).get(text)) {
        std::fprintf(stderr, "ringoverbot-vectors: cannot read %s\n", argv[1]);
        return 2;
    }
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object root;
    if (parser.iterate(text).get(doc) || doc.get_object().get(root)) {
        std::fprintf(stderr, "ringoverbot-vectors: %s is not a JSON object\n", argv[1]);
        return 2;
    }
    std::string ivr_token;
    std::vector<Vector> vectors;
    for (auto field : root) {
        std::string_view k;
        if (field.unescaped_key().get(k)) return 2;
        if (k == "ivr_token") {
            simdjson::ondemand::value v;
            if (field.value().get(v) || !read_string(v, ivr_token)) return 2;
        } else if (k == "vectors") {
            simdjson::ondemand::array arr;
            if (field.value().get_array().get(arr)) return 2;
            for (auto item : arr) {
                simdjson::ondemand::object obj;
                Vector vec;
                if (item.get_object().get(obj) || !parse_vector(obj, vec)) {
                    std::fprintf(stderr, "ringoverbot-vectors: malformed vector\n");
                    return 2;
                }
                vectors.push_back(std::move(vec));
            }
        }
    }
    std::printf("ringoverbot %s: %zu webhook vectors from %s\n", rob_version_string(),
                vectors.size(), argv[1]);
    int failed = 0;
    for (const auto& vec : vectors) {
        const std::string problem = check(vec, ivr_token);
        std::printf("%s\n", problem.empty() ? "pass" : ("FAIL " + problem).c_str());
        failed += problem.empty() ? 0 : 1;
    }
    std::printf("%zu passed, %d failed\n", vectors.size() - static_cast<std::size_t>(failed),
                failed);
    return failed == 0 ? 0 : 1;
}
