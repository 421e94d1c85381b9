// Verification of Ringover's webhook requests and typed access to their events
// (src/webhook/README.md). Sans-I/O: the host hands over method, URL, headers, body bytes and the
// current time; the verifier reads no clock and does no networking.
//
//   webhook::Config cfg;
//   cfg.public_url = "https://bot.example.fr/hooks/ringover/calls";
//   cfg.call_events_key = "rk_live_...";
//   auto v = webhook::Verifier::create(cfg);           // Result<Verifier>
//   webhook::Verdict verdict = v->verify(request);     // never throws on hostile input
//   reply(webhook::http_status(verdict.reason));
//   if (verdict.ok()) handle(verdict.event);
//
// Decisions this layer takes (see also the comments on Config):
// - JSON equality (body vs signed payload) is semantic: object key order and whitespace do not
//   matter; strings compare after unescaping; numbers compare by exact decimal value computed
//   from their text (1 == 1.0 == 1e0 == 10e-1; 2^53+1 != 2^53; no double is involved);
//   duplicate keys compare in document order. Top-level JWT registered claims (iss sub aud exp
//   nbf iat jti) and `url` are not part of a flat-form payload.
// - An empty (or blank) signature header counts as absent.
// - V3 signs METHOD + URL + body + timestamp, where URL is the configured public_url exactly as
//   written (the Ringover dashboard URL, no query; the test vector v3_ok is signed that way).
//   When the request carries a query, public_url + "?" + query is tried first, then
//   public_url alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"

namespace ringoverbot::webhook {

// Verdicts; the values are the C ABI's ROB_WH_* codes.
enum class Reason : int {
    ok = 0,
    missing_signature = 1,
    malformed_token = 2,
    bad_alg = 3,
    bad_signature = 4,
    url_mismatch = 5,
    body_mismatch = 6,
    expired = 7,
    stale_timestamp = 8,
    body_too_large = 9,
    bad_json = 10,
    replayed = 11,  // a signature accepted once, presented again after the replay window
    no_key = 12,
    // A second delivery of an accepted webhook (the same signature within the replay window,
    // or the same event again with a higher `attempt`): answered 2xx so that Ringover stops
    // retrying, and not processed again (ok() is false; `event` holds the parsed event).
    duplicate = 13,
};
// How many reasons there are, counted from the last one: a reason is added after duplicate
// and this line names the new last one.
inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::duplicate) + 1;

// "ok", "missing_signature", ... ("unknown" for values outside the enum).
RINGOVERBOT_API std::string_view reason_name(Reason r) noexcept;
// 200 ok and duplicate, 400 bad_json, 413 body_too_large, 401 for every signature problem
// (incl. replayed, no_key); 500 for values outside the enum.
RINGOVERBOT_API int http_status(Reason r) noexcept;

// Which scheme authenticated (or failed to authenticate) a request.
enum class Scheme : int { none = 0, jwt = 1, v3 = 2, legacy_hmac = 3, ivr_token = 4 };

// Dashboard sections; each has its own key.
enum class Section : int { call_events = 0, contact_call = 1, contact_search = 2, routing = 3 };
// call/contact -> contact_call, search/contact -> contact_search, call/routing and
// call/ivr_response_code -> routing, everything else -> call_events.
RINGOVERBOT_API Section section_of(std::string_view resource, std::string_view event) noexcept;

enum class BodyPolicy : int {
    require_equal = 0,  // the body must be JSON-equal to the JWT's signed payload (default)
    use_signed = 1,     // the signed payload is the event; the body is not looked at
};

struct Config {
    // The endpoint's public URL (no query), e.g. "https://bot.example.fr/hooks/ringover/calls".
    // Compared with the JWT `url` claim after normalization (scheme and host lowercased,
    // default port dropped, query/fragment dropped, trailing '/' ignored); signed verbatim by V3.
    std::string public_url;
    // One key per dashboard section; empty = not configured. The call-events key also serves
    // every section whose own key is empty. Keys are used as raw UTF-8 bytes.
    std::string call_events_key;
    std::string contact_call_key;
    std::string contact_search_key;
    std::string routing_key;
    // Secret that the unsigned call/ivr_response_code must carry as `?token=`; empty = refuse.
    std::string ivr_token;
    BodyPolicy body_policy = BodyPolicy::require_equal;
    bool accept_legacy_hmac = false;  // X-Ringover-Signature: [sha256=]<hex HMAC-SHA256(body)>
    // Duplicate detection: a signature accepted once is a `duplicate` within the window and
    // `replayed` (refused) after it while still remembered; an accepted event delivered again
    // with a higher `attempt` is a `duplicate`. false = every valid request is `ok`.
    bool reject_replays = true;
    std::uint32_t replay_cache_size = 4096;  // entries per cache (fixed memory, oldest evicted)
    double replay_window_s = 600;
    double leeway_s = 60;      // for JWT exp / nbf
    double v3_window_s = 300;  // max |now - V3 timestamp|
    std::uint64_t max_body_bytes = 1u << 20;
};

struct Header {
    std::string_view name;  // any case
    std::string_view value;
};

struct Request {
    std::string_view method = "POST";
    // Full URL ("https://host/path?q") or origin-form target ("/path?q"); only its query is
    // used (IVR token, V3 signed URL).
    std::string_view url;
    std::span<const Header> headers;
    std::string_view body;  // the exact bytes received
    double now = 0;         // Unix seconds
};

// Event kinds; the values are the C ABI's ROB_WH_EVENT_* codes.
enum class Kind : int {
    none = 0,  // not accepted
    unknown = 1,
    call_ringing = 2,
    call_answered = 3,
    call_hangup = 4,
    call_missed = 5,
    call_voicemail = 6,
    call_contact = 7,
    call_routing = 8,
    call_ivr_response_code = 9,
    aftercall_comments_updated = 10,
    aftercall_tags_updated = 11,
    aftercall_aftercall = 12,
    aftercall_record_available = 13,
    aftercall_voicemail_available = 14,
    aftercall_transcription_available = 15,
    aftercall_summary_available = 16,
    search_contact = 17,
    sms_sent = 18,
    sms_received = 19,
};
RINGOVERBOT_API Kind kind_of(std::string_view resource, std::string_view event) noexcept;
RINGOVERBOT_API std::string_view kind_name(Kind k) noexcept;  // "call_answered", ...

// Parsed fields, all kept as text: integers as exact decimal strings, booleans as "0"/"1",
// phone numbers as digits without '+', objects/arrays (e.g. an object `summary`) as raw JSON.
enum class Field : int {
    resource,
    event,
    timestamp,
    attempt,  // envelope
    id,
    call_id,
    channel_id,
    user_id,
    direction,
    from_number,
    to_number,
    status,
    start_time,
    answered_time,
    hangup_time,
    duration_in_seconds,
    reason,
    code,
    query_search,
    body,
    message_id,
    conversation_id,
    record,
    record_link,
    voicemail_link,
    transcription_link,
    summary,
    comments,
    is_internal,
    is_anonymous,
    is_ivr,
    ivr_number,
    ivr_scenario_name,
    ivr_name,
    user_firstname,
    user_lastname,
    user_email,
    count_
};
inline constexpr std::size_t field_count = static_cast<std::size_t>(Field::count_);
RINGOVERBOT_API std::string_view field_name(Field f) noexcept;
RINGOVERBOT_API std::optional<Field> field_from_name(std::string_view name) noexcept;

class RINGOVERBOT_API Event {
  public:
    Kind kind() const noexcept { return kind_; }
    // Absent or null fields give nullopt.
    std::optional<std::string_view> field(Field f) const noexcept;
    std::optional<std::string_view> field(std::string_view name) const noexcept;
    // NUL-terminated text or nullptr (for the C ABI).
    const char* field_c_str(Field f) const noexcept;
    std::string_view resource() const noexcept { return field(Field::resource).value_or(""); }
    std::string_view event() const noexcept { return field(Field::event).value_or(""); }
    // The exact call id when it fits a uint64 (never through a double).
    std::optional<std::uint64_t> call_id() const noexcept { return call_id_; }
    // The envelope timestamp when it is a JSON number (an ISO string stays text in field()).
    std::optional<double> timestamp() const noexcept { return timestamp_; }
    // aftercall `tags` (array of strings; numbers kept as their text).
    const std::vector<std::string>& tags() const noexcept { return tags_; }
    // The trusted envelope as JSON text (the body, or the signed payload).
    std::string_view raw_json() const noexcept { return raw_; }
    // Forgets everything but keeps the buffers (no allocation when reused).
    void clear() noexcept;

    // Used by the parser.
    void set_field(Field f, std::string_view text);
    void set_kind(Kind k) noexcept { kind_ = k; }
    void set_call_id(std::optional<std::uint64_t> v) noexcept { call_id_ = v; }
    void set_timestamp(std::optional<double> v) noexcept { timestamp_ = v; }
    std::vector<std::string>& mutable_tags() noexcept { return tags_; }
    std::string& mutable_raw() noexcept { return raw_; }

  private:
    Kind kind_ = Kind::none;
    std::array<std::string, field_count> values_{};
    std::array<bool, field_count> present_{};
    std::optional<std::uint64_t> call_id_;
    std::optional<double> timestamp_;
    std::vector<std::string> tags_;
    std::string raw_;
};

// Parses an (already trusted) envelope. bad_json for anything that is not one JSON object;
// unknown resource/event is Kind::unknown, not an error. Allocates a parser per call: a
// verifier reuses its own. Safe on any bytes.
RINGOVERBOT_API Status parse_event(std::string_view json, Event& out);

// What the verifier recorded of an accepted delivery (its signature and its event) to refuse
// a repeat of it as a duplicate. Verifier::forget() takes it back.
struct Receipt {
    std::array<std::uint8_t, 32> signature{};
    std::array<std::uint8_t, 32> event{};
    bool held = false;  // something was recorded (reject_replays on, a signed delivery)
};

struct Verdict {
    Reason reason = Reason::missing_signature;
    std::string detail;  // which check failed, for logs (never contains key material)
    Scheme scheme = Scheme::none;
    Event event;      // kind() == Kind::none unless ok() or duplicate()
    Receipt receipt;  // held only when ok()
    bool ok() const noexcept { return reason == Reason::ok; }
    // A repeated delivery of an accepted webhook: answer 2xx, do not act on it again.
    bool duplicate() const noexcept { return reason == Reason::duplicate; }
};

// One verifier per endpoint (or per set of keys). Not thread-safe: one thread at a time.
class RINGOVERBOT_API Verifier {
  public:
    // invalid_argument: no public_url, no key nor ivr_token, or a bad option value.
    static Result<Verifier> create(Config config);
    Verifier(Verifier&&) noexcept;
    Verifier& operator=(Verifier&&) noexcept;
    ~Verifier();

    Verdict verify(const Request& request);
    // Same, reusing `out`'s buffers (no allocation once warm, for the common path).
    void verify(const Request& request, Verdict& out);
    // Un-records an accepted delivery its receiver could not act upon (it answered 5xx): the
    // sender retries what got no 2xx, and that retry must be taken, not refused as a duplicate.
    void forget(const Receipt& receipt) noexcept;

    const Config& config() const noexcept;
    std::size_t replay_entries() const noexcept;
    std::size_t replay_capacity() const noexcept;
    // Bytes held by the duplicate caches (signatures and events; fixed at creation).
    std::size_t replay_memory_bytes() const noexcept;

    struct Impl;

  private:
    explicit Verifier(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

// ---- reply bodies for the request/response webhooks (src/webhook/README.md §Replies) --------

struct Contact {
    std::optional<std::string> uuid, firstname, lastname, company, url;  // nullopt = omitted
    std::vector<std::pair<std::string, std::string>> data;  // the "data" object, in this order
    bool is_shared = false;
};
struct ContactNumber {
    std::string number;  // E.164 digits, '+' allowed (stripped); written as a JSON integer
    std::string type;    // "mobile", "fix", ...
};
struct SearchHit {
    std::optional<std::string> firstname, lastname, company, url;
    std::vector<ContactNumber> numbers;
};
struct RoutingAgent {
    std::string number;  // E.164 digits, '+' allowed (stripped); written as a JSON integer
    std::uint32_t ring_duration_s = 25;  // 0 = 25
    std::uint32_t ring_delay_s = 0;
    bool is_caller_id = true;
};

// {"uuid":..,"firstname":..,"lastname":..,"company":..,"url":..,"data":{..},"is_shared":b}
// (absent strings omitted; "data" and "is_shared" always written).
RINGOVERBOT_API Result<std::string> build_contact_reply(const Contact& c);
// [{"firstname":..,"lastname":..,"company":..,"url":..,"numbers":[{"number":N,"type":".."}]}]
RINGOVERBOT_API Result<std::string> build_search_reply(std::span<const SearchHit> hits);
// The routing object of src/webhook/README.md §Replies; dispatch "ringall" or "sequential"; at
// least one agent (answer 204 for "nothing").
RINGOVERBOT_API Result<std::string> build_routing_reply(std::span<const RoutingAgent> agents,
                                                        std::string_view dispatch = "ringall");

// A phone number as JSON integer text: '+' and surrounding blanks stripped, 1..19 digits, no
// leading zero. nullopt otherwise.
RINGOVERBOT_API std::optional<std::string> phone_digits(std::string_view number);

}  // namespace ringoverbot::webhook
