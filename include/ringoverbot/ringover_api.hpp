// Ringover's REST API (call control) over the cloud client: the calls in progress, a call's
// details, and the live-call controls (transfer, DTMF, record/hold/mute toggles, hang-up).
//
// What it does for every request (README, "Ringover REST API", lists the facts and which
// paths are unverified):
// - Base URL: RestConfig::base_url when set (RINGOVER_BASE_URL), else the key's region:
//   "https://public-api-us.ringover.com/v2" for a key starting "US_", else
//   "https://public-api.ringover.com/v2".
// - Header "Authorization: <key>", bare (Ringover answers a "Bearer " prefix with 401). The key
//   never appears in a log line or an error message.
// - Ringover allows 2 requests per second per key and answers 429 past it: requests wait in a
//   FIFO queue for a token of a bucket refilled at requests_per_second (they are never dropped);
//   a 429 holds the whole queue for an exponential backoff and the request is sent again.
// - 204 is a success with no body; any other non-2xx answer is an error whose message is the
//   body's "error"/"message" (e.g. "HTTP 401: Invalid user").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::ringover {

inline constexpr std::string_view kEuBaseUrl = "https://public-api.ringover.com/v2";
inline constexpr std::string_view kUsBaseUrl = "https://public-api-us.ringover.com/v2";

// Every path is appended to the base URL; {call_id}, {channel_id} and {what} are replaced by the
// request's (percent-encoded) values. Paths marked unverified come from third-party clients of
// the API, not from Ringover's own documentation: they are settings so that a deployment can
// correct them without a new build.
struct RestConfig {
    std::string api_key;   // RINGOVER_API_KEY (required)
    std::string base_url;  // RINGOVER_BASE_URL; empty = by the key's region (kUsBaseUrl/kEuBaseUrl)

    double requests_per_second = 2.0;  // Ringover's limit per key
    std::uint32_t burst = 1;           // requests sent back to back before the pacing starts
    std::uint32_t max_rate_limited_retries = 6;  // 429s in a row before the request fails
    std::uint32_t backoff_ms = 500;              // after the first 429; doubled each time
    std::uint32_t max_backoff_ms = 8000;
    std::uint32_t connect_timeout_ms = 5000;
    std::uint32_t timeout_ms = 15000;  // one attempt, from the request sent to the last byte

    std::string current_calls_path = "/calls/current";                     // POST, JSON filter body
    std::string call_details_path = "/calls/{call_id}";                    // GET
    std::string transfer_path = "/channels/{channel_id}/events/transfer";  // POST
    std::string transfer_number_field = "phone_number";                    // unverified body key
    std::string dtmf_path = "/channels/{channel_id}/events/dtmf";          // POST
    std::string dtmf_field = "dtmf";                                       // unverified body key
    std::string toggle_path = "/channels/{channel_id}/events/{what}/toggle";  // POST
    std::string hangup_path = "/channels/{channel_id}/events/hangup";         // POST, unverified
};

// The base URL a request goes to: `override_url` when not empty, else the key's region.
RINGOVERBOT_API std::string base_url_for_key(std::string_view api_key,
                                             std::string_view override_url);

enum class Toggle : int { record = 0, hold = 1, mute = 2 };
RINGOVERBOT_API std::string_view toggle_name(Toggle t) noexcept;  // "record", "hold", "mute"

// An answered request. 204 (and any 2xx with no body) has an empty body.
struct RestReply {
    int status = 0;
    std::string body;
};
// Called once per request, on the cloud client's loop thread (or on the thread of the call
// that made the request, for a request refused before it was sent). Must not block.
using RestCallback = std::function<void(Result<RestReply>)>;

// Which call a hang-up is for: the path template takes either.
struct CallRef {
    std::string call_id;
    std::string channel_id;
};

// The fields of GET /calls/{call_id} a voice agent uses (empty when absent).
struct CallDetails {
    std::string call_id, channel_id, direction, from_number, to_number;
    std::string contact_name;  // the caller's name in the Ringover contacts, when any
    std::string user_name;     // the Ringover user the call is for, when any
};
// Parses GET /calls/{call_id}'s answer ({"call_list":[{...}]} or one call object).
// bad_json for a body that is not JSON, not_found for an empty list (or a 204's empty body).
RINGOVERBOT_API Result<CallDetails> parse_call_details(std::string_view body);
// The sentence an LLM's system context gets at call start: the caller's number and name.
// Empty when the details hold neither.
RINGOVERBOT_API std::string call_context_text(const CallDetails& details);

class RINGOVERBOT_API RestClient {
  public:
    // invalid_argument for an empty key, a bad base URL, a rate <= 0, or a client not made by
    // net::make_cloud_client.
    static Result<std::shared_ptr<RestClient>> create(
        RestConfig config, std::shared_ptr<providers::CloudClient> client);
    virtual ~RestClient();  // requests still queued fail with invalid_state; no callback after

    // POST current_calls_path with `filter_json` (empty = "{}").
    virtual void current_calls(std::string filter_json, RestCallback done) = 0;
    virtual void call_details(std::string call_id, RestCallback done) = 0;
    virtual void transfer(std::string channel_id, std::string number, RestCallback done) = 0;
    virtual void send_dtmf(std::string channel_id, std::string digits, RestCallback done) = 0;
    virtual void toggle(std::string channel_id, Toggle what, RestCallback done) = 0;
    virtual void hangup(CallRef call, RestCallback done) = 0;
    // Any request: `path` relative to the base URL (e.g. "/calls?limit_count=10").
    virtual void request(std::string method, std::string path, std::string json_body,
                         RestCallback done) = 0;

    const RestConfig& config() const noexcept { return config_; }
    virtual std::string base_url() const = 0;
    // Requests sent (attempts, retries included) and 429 answers so far. Any thread.
    virtual std::uint64_t sent() const = 0;
    virtual std::uint64_t rate_limited() const = 0;
    virtual std::size_t queued() const = 0;

  protected:
    explicit RestClient(RestConfig config) : config_(std::move(config)) {}
    RestConfig config_;
};

}  // namespace ringoverbot::ringover
