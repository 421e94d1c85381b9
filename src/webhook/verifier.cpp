// The verifier: picks the signature scheme from the headers, the dashboard section (and so
// the key) from the event, then checks in the order that makes each failure name its real
// cause: size, token shape, alg, signature, time, url, body, replay.
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "common/base64.hpp"
#include "common/bearer.hpp"
#include "common/secret.hpp"
#include "common/text.hpp"
#include "ringoverbot/webhook.hpp"
#include "webhook/crypto.hpp"
#include "webhook/json_engine.hpp"
#include "webhook/replay_cache.hpp"
#include "webhook/url.hpp"

namespace ringoverbot::webhook {

std::string_view reason_name(Reason r) noexcept {
    switch (r) {
        case Reason::ok:
            return "ok";
        case Reason::missing_signature:
            return "missing_signature";
        case Reason::malformed_token:
            return "malformed_token";
        case Reason::bad_alg:
            return "bad_alg";
        case Reason::bad_signature:
            return "bad_signature";
        case Reason::url_mismatch:
            return "url_mismatch";
        case Reason::body_mismatch:
            return "body_mismatch";
        case Reason::expired:
            return "expired";
        case Reason::stale_timestamp:
            return "stale_timestamp";
        case Reason::body_too_large:
            return "body_too_large";
        case Reason::bad_json:
            return "bad_json";
        case Reason::replayed:
            return "replayed";
        case Reason::no_key:
            return "no_key";
        case Reason::duplicate:
            return "duplicate";
    }
    return "unknown";
}

int http_status(Reason r) noexcept {
    switch (r) {
        case Reason::ok:
        case Reason::duplicate:
            return 200;
        case Reason::bad_json:
            return 400;
        case Reason::body_too_large:
            return 413;
        case Reason::missing_signature:
        case Reason::malformed_token:
        case Reason::bad_alg:
        case Reason::bad_signature:
        case Reason::url_mismatch:
        case Reason::body_mismatch:
        case Reason::expired:
        case Reason::stale_timestamp:
        case Reason::replayed:
        case Reason::no_key:
            return 401;
    }
    return 500;
}

Section section_of(std::string_view resource, std::string_view event) noexcept {
    if (resource == "call" && event == "contact") return Section::contact_call;
    if (resource == "search" && event == "contact") return Section::contact_search;
    if (resource == "call" && (event == "routing" || event == "ivr_response_code"))
        return Section::routing;
    return Section::call_events;
}

namespace {

using detail::ReplayCache;

// A JWT in a header is a few times the body at most; anything far larger is refused before
// any decoding work.
constexpr std::size_t token_overhead = 64 * 1024;

std::string_view find_header(std::span<const Header> headers, std::string_view name) {
    for (const Header& h : headers)
        if (text::iequals(h.name, name)) return text::trim(h.value);
    return {};
}

// The JWT in an Authorization value: "Bearer <jwt>" (any case) or the bare token. Another
// scheme ("Basic ...") is not ours: empty.
std::string_view bearer_token(std::string_view v) {
    if (const auto credentials = bearer::credentials(v); !credentials.empty()) return credentials;
    if (text::iequals(v, "bearer") || v.find(' ') != std::string_view::npos) return {};
    return v;
}

// A MAC's bytes as the text secret::equal compares.
std::string_view bytes_of(std::span<const std::uint8_t> mac) {
    return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::string_view scheme_label(Scheme s) {
    switch (s) {
        case Scheme::jwt:
            return "JWT";
        case Scheme::v3:
            return "V3";
        case Scheme::legacy_hmac:
            return "legacy HMAC";
        case Scheme::ivr_token:
            return "IVR token";
        case Scheme::none:
            break;
    }
    return "none";
}

// A retry announces itself with attempt > 1 (an integer, as a number or a string).
bool is_retry(const Event& e) {
    const auto attempt = e.field(Field::attempt);
    if (!attempt) return false;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(attempt->data(), attempt->data() + attempt->size(), n);
    return ec == std::errc() && end == attempt->data() + attempt->size() && n > 1;
}

std::string number_text(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

}  // namespace

struct Verifier::Impl {
    Config config;
    std::string public_url_normalized;
    detail::JsonEngine json;
    ReplayCache replay;    // accepted signatures
    ReplayCache events;    // accepted events, by identity (every field but `attempt`)
    std::string identity;  // scratch for event_digest

    // Per-request scratch, reused.
    std::string header_json, claims_json, signature, canon_payload, canon_body, signed_url;
    detail::Claims claims;
    detail::Route route, body_route;
    Verdict* out = nullptr;
    const Request* req = nullptr;
    bool body_parsed = false, body_valid = false, body_canonical = false;
    std::string body_error;

    explicit Impl(Config c)
        : config(std::move(c)),
          public_url_normalized(detail::normalize_url(config.public_url)),
          replay(config.reject_replays ? config.replay_cache_size : 1, config.replay_window_s),
          events(config.reject_replays ? config.replay_cache_size : 1, config.replay_window_s) {}

    void reject(Reason r, std::string_view detail) {
        out->reason = r;
        out->detail.assign(detail);
    }

    const std::string& key_for(const detail::Route& r) const {
        switch (section_of(r.resource, r.event)) {
            case Section::contact_call:
                if (!config.contact_call_key.empty()) return config.contact_call_key;
                break;
            case Section::contact_search:
                if (!config.contact_search_key.empty()) return config.contact_search_key;
                break;
            case Section::routing:
                if (!config.routing_key.empty()) return config.routing_key;
                break;
            case Section::call_events:
                break;
        }
        return config.call_events_key;
    }

    // Validates the body (once), remembers its resource/event and, when asked, its canonical
    // text.
    bool parse_body(bool canonical = false) {
        if (!body_parsed || (canonical && !body_canonical && body_valid)) {
            body_parsed = true;
            body_canonical = canonical;
            auto st = canonical ? json.canonicalize(req->body, canon_body, &body_route, false)
                                : json.validate(req->body, &body_route);
            body_valid = st.ok();
            body_error = body_valid ? std::string() : st.error().message;
        }
        return body_valid;
    }

    void no_key(const detail::Route& r) {
        std::string d = "no key configured for section of ";
        d += r.resource.empty() ? "?" : r.resource;
        d += '/';
        d += r.event.empty() ? "?" : r.event;
        reject(Reason::no_key, d);
    }

    // What makes two deliveries the same event: every parsed field but `attempt`, and the tags.
    // Only accepted events get in, so the keyed hash needs no secret.
    ReplayCache::Digest event_digest(const Event& e) {
        identity.clear();
        for (std::size_t i = 0; i < field_count; ++i) {
            const auto f = static_cast<Field>(i);
            if (f == Field::attempt) continue;
            const auto v = e.field(f);
            identity += v ? '+' : '-';
            if (v) identity.append(*v);
            identity += '\x1f';
        }
        for (const std::string& t : e.tags()) identity.append(t).push_back('\x1e');
        ReplayCache::Digest d{};
        detail::hmac_sha256("ringoverbot event identity", {identity}, d.data());
        return d;
    }

    void accept(std::string_view trusted, const ReplayCache::Digest* digest) {
        const bool tracked = digest != nullptr && config.reject_replays;
        std::optional<double> first_seen;
        if (tracked) first_seen = replay.recorded_at(*digest);
        if (first_seen && !(std::fabs(req->now - *first_seen) <= config.replay_window_s))
            return reject(Reason::replayed,
                          "this signature was accepted longer ago than the replay window");
        if (auto st = json.parse_event(trusted, out->event); !st) {
            out->event.clear();
            return reject(Reason::bad_json, st.error().message);
        }
        if (first_seen)
            return reject(Reason::duplicate, "this signature was already accepted (a redelivery)");
        if (tracked) {
            replay.record(*digest, req->now);
            const ReplayCache::Digest id = event_digest(out->event);
            if (is_retry(out->event) && events.seen(id, req->now))
                return reject(Reason::duplicate,
                              "this event was already accepted (a retry with a higher attempt)");
            events.record(id, req->now);
            out->receipt.signature = *digest;
            out->receipt.event = id;
            out->receipt.held = true;
        }
        out->reason = Reason::ok;
        out->detail.assign("accepted (");
        out->detail += scheme_label(out->scheme);
        out->detail += ')';
    }

    void verify_jwt(std::string_view token) {
        out->scheme = Scheme::jwt;
        if (token.size() > config.max_body_bytes * 2 + token_overhead)
            return reject(Reason::malformed_token, "token too large");
        const auto dot1 = token.find('.');
        const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
        if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
            return reject(Reason::malformed_token, "a JWS compact token has exactly 3 parts");
        const std::string_view h64 = token.substr(0, dot1);
        const std::string_view c64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
        const std::string_view s64 = token.substr(dot2 + 1);
        using base64::Alphabet;
        if (h64.empty() || !base64::decode(h64, header_json, Alphabet::url))
            return reject(Reason::malformed_token, "JWT header is not base64url");
        auto alg = json.read_alg(header_json);
        if (!alg.ok())
            return reject(Reason::malformed_token,
                          "JWT header is not JSON: " + alg.error().message);
        if (!alg.value()) return reject(Reason::bad_alg, "JWT header has no alg");
        if (*alg.value() != "HS512")
            return reject(Reason::bad_alg, "alg \"" + *alg.value() + "\" is not HS512");
        if (c64.empty() || !base64::decode(c64, claims_json, Alphabet::url))
            return reject(Reason::malformed_token, "JWT claims are not base64url");
        if (auto st = json.read_claims(claims_json, claims); !st)
            return reject(Reason::malformed_token, "JWT claims: " + st.error().message);
        if (!base64::decode(s64, signature, Alphabet::url))
            return reject(Reason::malformed_token, "JWT signature is not base64url");
        // The signed payload, validated and routed; canonical unless it is byte-for-byte the
        // body (what Ringover sends), where equality needs no canonical form.
        const bool payload_is_body = claims.has_payload && claims.payload == req->body;
        auto st = payload_is_body ? json.validate(claims.payload, &route)
                  : claims.has_payload
                      ? json.canonicalize(claims.payload, canon_payload, &route, false)
                      : json.canonicalize(claims_json, canon_payload, &route, true);
        if (!st) return reject(Reason::malformed_token, "signed payload: " + st.error().message);
        if (route.resource.empty() && route.event.empty() && parse_body()) route = body_route;
        const std::string& key = key_for(route);
        if (key.empty()) return no_key(route);

        std::uint8_t mac[detail::sha512_size];
        if (!detail::hmac_sha512(key, {h64, ".", c64}, mac))
            return reject(Reason::bad_signature, "HMAC-SHA512 failed");
        if (signature.size() != detail::sha512_size || !secret::equal(bytes_of(mac), signature))
            return reject(Reason::bad_signature, "JWT signature does not match (HS512)");

        const double now = req->now;
        if (claims.exp && now > *claims.exp + config.leeway_s)
            return reject(Reason::expired, "token expired at " + number_text(*claims.exp));
        if (claims.nbf && now < *claims.nbf - config.leeway_s)
            return reject(Reason::expired, "token not valid before " + number_text(*claims.nbf));
        if (claims.has_url) {
            if (detail::normalize_url(claims.url) != public_url_normalized)
                return reject(Reason::url_mismatch,
                              "url claim \"" + claims.url + "\" is not the public URL");
        } else if (claims.has_payload) {
            return reject(Reason::url_mismatch, "token has a payload but no url claim");
        }

        std::string_view trusted;
        if (config.body_policy == BodyPolicy::require_equal && payload_is_body) {
            trusted = req->body;  // identical bytes, already validated as the payload
        } else if (config.body_policy == BodyPolicy::require_equal) {
            if (!parse_body(true)) return reject(Reason::bad_json, "body: " + body_error);
            if (canon_body != canon_payload)
                return reject(Reason::body_mismatch,
                              "body is not JSON-equal to the signed payload");
            trusted = req->body;
        } else {
            trusted = claims.has_payload ? std::string_view(claims.payload)
                                         : std::string_view(claims_json);
        }
        ReplayCache::Digest digest;
        std::memcpy(digest.data(), mac, digest.size());
        accept(trusted, &digest);
    }

    bool v3_matches(std::string_view key, std::string_view method, std::string_view url,
                    std::string_view ts, std::uint8_t* mac) {
        return detail::hmac_sha256(key, {method, url, req->body, ts}, mac) &&
               signature.size() == detail::sha256_size &&
               secret::equal(bytes_of({mac, detail::sha256_size}), signature);
    }

    void verify_v3(std::string_view sig64, std::string_view ts_text) {
        out->scheme = Scheme::v3;
        if (ts_text.empty())
            return reject(Reason::malformed_token,
                          "X-Ringover-Request-Signature-V3-Timestamp is missing");
        double ts = 0;
        auto [end, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
        if (ec != std::errc() || end != ts_text.data() + ts_text.size() || !std::isfinite(ts))
            return reject(Reason::malformed_token, "V3 timestamp is not a number");
        if (!base64::decode(sig64, signature, base64::Alphabet::standard))
            return reject(Reason::malformed_token, "V3 signature is not base64");
        if (signature.size() != detail::sha256_size)
            return reject(Reason::bad_signature, "V3 signature is not 32 bytes");
        parse_body();  // routes the key; a bad body is reported after the signature
        const std::string& key = key_for(body_route);
        if (key.empty()) return no_key(body_route);

        std::string method(req->method.empty() ? std::string_view("POST") : req->method);
        for (char& c : method) c = text::to_upper(c);
        std::uint8_t mac[detail::sha256_size];
        bool match = false;
        if (const std::string_view query = detail::url_query(req->url); !query.empty()) {
            signed_url = config.public_url;
            signed_url += '?';
            signed_url += query;
            match = v3_matches(key, method, signed_url, ts_text, mac);
        }
        if (!match) match = v3_matches(key, method, config.public_url, ts_text, mac);
        if (!match) return reject(Reason::bad_signature, "V3 signature does not match");
        if (!(std::fabs(req->now - ts) <= config.v3_window_s))
            return reject(Reason::stale_timestamp,
                          "V3 timestamp " + std::string(ts_text) + " is outside the window");
        if (!body_valid) return reject(Reason::bad_json, "body: " + body_error);
        ReplayCache::Digest digest;
        std::memcpy(digest.data(), mac, digest.size());
        accept(req->body, &digest);
    }

    void verify_legacy(std::string_view value) {
        out->scheme = Scheme::legacy_hmac;
        if (value.size() > 7 && text::istarts_with(value, "sha256=")) value.remove_prefix(7);
        if (value.size() != 2 * detail::sha256_size)
            return reject(Reason::malformed_token, "legacy signature is not 64 hex digits");
        std::uint8_t expected[detail::sha256_size];
        for (std::size_t i = 0; i < detail::sha256_size; ++i) {
            const int hi = text::hex_value(value[2 * i]), lo = text::hex_value(value[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return reject(Reason::malformed_token, "legacy signature is not hex");
            expected[i] = static_cast<std::uint8_t>(hi * 16 + lo);
        }
        parse_body();
        const std::string& key = key_for(body_route);
        if (key.empty()) return no_key(body_route);
        std::uint8_t mac[detail::sha256_size];
        if (!detail::hmac_sha256(key, {req->body}, mac) ||
            !secret::equal(bytes_of(mac), bytes_of(expected)))
            return reject(Reason::bad_signature, "legacy HMAC-SHA256 does not match");
        if (!body_valid) return reject(Reason::bad_json, "body: " + body_error);
        ReplayCache::Digest digest;
        std::memcpy(digest.data(), mac, digest.size());
        accept(req->body, &digest);
    }

    void verify_unsigned() {
        if (config.ivr_token.empty())
            return reject(Reason::missing_signature, "no signature header");
        const auto token = detail::query_param(detail::url_query(req->url), "token");
        if (!token) return reject(Reason::missing_signature, "no signature header nor ?token=");
        if (!secret::equal(config.ivr_token, *token))
            return reject(Reason::missing_signature, "no signature header; ?token= is wrong");
        out->scheme = Scheme::ivr_token;
        if (!parse_body()) return reject(Reason::bad_json, "body: " + body_error);
        if (body_route.resource != "call" || body_route.event != "ivr_response_code") {
            out->scheme = Scheme::none;
            return reject(Reason::missing_signature,
                          "only call/ivr_response_code may come unsigned (with ?token=)");
        }
        accept(req->body, nullptr);
    }

    void verify(const Request& request, Verdict& verdict) {
        out = &verdict;
        req = &request;
        body_parsed = body_valid = body_canonical = false;
        verdict.reason = Reason::missing_signature;
        verdict.detail.clear();
        verdict.scheme = Scheme::none;
        verdict.event.clear();
        verdict.receipt.held = false;
        if (request.body.size() > config.max_body_bytes)
            return reject(Reason::body_too_large, "body of " + std::to_string(request.body.size()) +
                                                      " bytes exceeds max_body_bytes " +
                                                      std::to_string(config.max_body_bytes));
        // Every time check below assumes a real clock reading (NaN compares false).
        if (!std::isfinite(request.now))
            return reject(Reason::expired, "now is not a finite time (caller error)");
        const auto jwt = find_header(request.headers, "X-Ringover-Webhook-Signature");
        if (!jwt.empty()) return verify_jwt(jwt);
        const auto v3 = find_header(request.headers, "X-Ringover-Webhook-Signature-V3");
        if (!v3.empty())
            return verify_v3(
                v3, find_header(request.headers, "X-Ringover-Request-Signature-V3-Timestamp"));
        const auto bearer = bearer_token(find_header(request.headers, "Authorization"));
        if (!bearer.empty()) return verify_jwt(bearer);
        const auto legacy = find_header(request.headers, "X-Ringover-Signature");
        if (!legacy.empty()) {
            if (config.accept_legacy_hmac) return verify_legacy(legacy);
            return reject(Reason::missing_signature,
                          "X-Ringover-Signature (legacy hex HMAC) is disabled");
        }
        verify_unsigned();
    }
};

Result<Verifier> Verifier::create(Config config) {
    auto bad = [](std::string msg) { return Error{Errc::invalid_argument, std::move(msg)}; };
    if (config.public_url.empty()) return bad("public_url is required");
    if (config.call_events_key.empty() && config.contact_call_key.empty() &&
        config.contact_search_key.empty() && config.routing_key.empty() && config.ivr_token.empty())
        return bad("no key nor ivr_token configured");
    if (config.body_policy != BodyPolicy::require_equal &&
        config.body_policy != BodyPolicy::use_signed)
        return bad("body_policy is invalid");
    if (config.reject_replays &&
        (config.replay_cache_size == 0 || config.replay_cache_size > (1u << 22)))
        return bad("replay_cache_size must be 1..4194304");
    auto valid_span = [](double v) { return std::isfinite(v) && v >= 0; };
    if (!valid_span(config.replay_window_s) || !valid_span(config.leeway_s) ||
        !valid_span(config.v3_window_s))
        return bad("time windows must be finite and >= 0");
    if (config.max_body_bytes == 0 || config.max_body_bytes > (std::uint64_t{1} << 40))
        return bad("max_body_bytes is out of range");
    return Verifier(std::make_unique<Impl>(std::move(config)));
}

Verifier::Verifier(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
Verifier::~Verifier() = default;

Verdict Verifier::verify(const Request& request) {
    Verdict v;
    impl_->verify(request, v);
    return v;
}

void Verifier::verify(const Request& request, Verdict& out) {
    impl_->verify(request, out);
}

void Verifier::forget(const Receipt& receipt) noexcept {
    if (!receipt.held) return;
    impl_->replay.forget(receipt.signature);
    impl_->events.forget(receipt.event);
}

const Config& Verifier::config() const noexcept {
    return impl_->config;
}
std::size_t Verifier::replay_entries() const noexcept {
    return impl_->config.reject_replays ? impl_->replay.size() : 0;
}
std::size_t Verifier::replay_capacity() const noexcept {
    return impl_->config.reject_replays ? impl_->replay.capacity() : 0;
}
std::size_t Verifier::replay_memory_bytes() const noexcept {
    return impl_->replay.memory_bytes() + impl_->events.memory_bytes();
}

}  // namespace ringoverbot::webhook
