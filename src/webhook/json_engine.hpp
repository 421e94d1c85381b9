// The JSON work of the webhook layer behind one reusable simdjson parser: full validation with
// a canonical form (for "JSON-equal"), the JWT header and claims, and event parsing. simdjson
// stays out of this header (it is huge); see json_engine_impl.hpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::webhook::detail {

// Nesting deeper than this is refused (Ringover envelopes are 3 levels deep).
inline constexpr int max_json_depth = 64;

// Top-level "resource" and "event" strings seen while canonicalizing an envelope.
struct Route {
    std::string resource;
    std::string event;
};

struct Claims {
    bool has_url = false;
    std::string url;
    std::optional<double> exp;
    std::optional<double> nbf;
    bool has_payload = false;  // wrapped form {url, payload}; otherwise flat
    std::string payload;       // the payload's JSON text (wrapped form only)
};

class JsonEngine {
  public:
    JsonEngine();
    ~JsonEngine();
    JsonEngine(const JsonEngine&) = delete;
    JsonEngine& operator=(const JsonEngine&) = delete;

    // Validates `json` completely (one object, nothing after it, depth <= max_json_depth) and
    // writes a canonical text to `out`: object members sorted by unescaped key (stable, so
    // duplicates keep their order), strings re-escaped, numbers normalized by
    // normalize_number, no whitespace. `strip_claims` leaves out the top-level JWT
    // registered claims and `url` (flat-form payloads). `route` receives the top-level
    // resource/event strings when not null.
    Status canonicalize(std::string_view json, std::string& out, Route* route, bool strip_claims);
    // The same checks as canonicalize without building the canonical text (no allocation
    // once warm).
    Status validate(std::string_view json, Route* route);
    // The JWS header's "alg" (nullopt when absent or not a string); bad_json when the header
    // is not a JSON object.
    Result<std::optional<std::string>> read_alg(std::string_view header_json);
    // url / exp / nbf / payload of a JWT claims object; bad_json when they have wrong types.
    Status read_claims(std::string_view claims_json, Claims& out);
    // Parses a trusted envelope into `out` (see webhook::parse_event).
    Status parse_event(std::string_view json, Event& out);

    struct Impl;

  private:
    Status walk(std::string_view json, std::string* out, Route* route, bool strip_claims);
    std::unique_ptr<Impl> impl_;
};

// Canonical text of a JSON number token: "0" for any zero, otherwise [-]<digits>e<exp> with
// no leading or trailing zeros in <digits>, so that equal decimal values give equal text
// (1, 1.0, 1e0, 10e-1 -> "1e0"). False when `token` is not a JSON number.
bool normalize_number(std::string_view token, std::string& out);

}  // namespace ringoverbot::webhook::detail
