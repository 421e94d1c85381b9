// The Ringover REST requests and answers, sans-I/O: the path of each request with its ids
// filled in, the JSON bodies, and the message of an error answer.
#pragma once

#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"
#include "ringoverbot/ringover_api.hpp"

namespace ringoverbot::ringover::detail {

// One request as it goes on the wire (relative to the base URL).
struct RestRequest {
    std::string name;    // "call_details", "hangup", ... (logs and errors)
    std::string method;  // "GET" or "POST"
    std::string path;    // starts with '/', ids percent-encoded
    std::string body;    // JSON, empty for a GET
};

// `templ` with {call_id}, {channel_id} and {what} replaced by the percent-encoded values.
// invalid_argument when a placeholder it holds has an empty value, or the result does not
// start with '/'.
Result<std::string> fill_path(std::string_view templ, std::string_view call_id,
                              std::string_view channel_id, std::string_view what);

Result<RestRequest> current_calls_request(const RestConfig& c, std::string_view filter_json);
Result<RestRequest> call_details_request(const RestConfig& c, std::string_view call_id);
Result<RestRequest> transfer_request(const RestConfig& c, std::string_view channel_id,
                                     std::string_view number);
Result<RestRequest> dtmf_request(const RestConfig& c, std::string_view channel_id,
                                 std::string_view digits);
Result<RestRequest> toggle_request(const RestConfig& c, std::string_view channel_id, Toggle what);
Result<RestRequest> hangup_request(const RestConfig& c, const CallRef& call);

// The error of a failed request: "ringover <name>: HTTP 401: Invalid user" from the client's
// failure message "HTTP 401: {\"error\":\"Invalid user\"}" (the body's message when the body is
// JSON, its text otherwise).
std::string error_text(std::string_view name, std::string_view failure_message);

}  // namespace ringoverbot::ringover::detail
