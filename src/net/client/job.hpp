// One request of the cloud client as the loop runs it (a Job, across its attempts), and what
// its handle shares with the loop (a Token). Everything in a Job belongs to the loop thread;
// other threads reach a request only through its id and its Token.
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "net/client/client.hpp"

namespace ringoverbot::net::client_detail {

using Clock = std::chrono::steady_clock;

class ClientEngine;

// What a request's handle shares with the loop: its id and whether it was cancelled (checked
// before every handler call, so a cancel on the loop thread takes effect at once).
struct Token {
    explicit Token(std::uint64_t i) : id(i) {}
    const std::uint64_t id;
    std::atomic<bool> cancelled{false};
};

struct Job;
// An lws timer of a job; the sul comes first so the callback can cast back to it.
struct JobTimer {
    lws_sorted_usec_list_t sul{};
    Job* job = nullptr;
    ClientEngine* engine = nullptr;
};

enum class Phase : int { resolving, connecting, waiting_headers, body, open, backoff };

struct OutMessage {
    std::vector<std::uint8_t> data;  // as the sender gave it (an audio frame moves, no copy)
    bool binary = false;
};

struct Job {
    std::uint64_t id = 0;
    bool is_ws = false;
    std::shared_ptr<Token> token;
    std::string provider;
    Url url;
    std::vector<Header> headers;
    Deadlines deadlines;
    RetryPolicy retry;
    bool may_retry = false;  // idempotent HTTP / WS retry_connect
    // HTTP
    std::string method, content_type, body;
    std::shared_ptr<HttpHandler> http_handler;
    // WebSocket
    std::size_t max_message_bytes = 0;
    std::shared_ptr<WsHandler> ws_handler;

    // The current attempt (1-based) and its connection.
    std::uint32_t attempt = 0;
    Phase phase = Phase::resolving;
    lws* wsi = nullptr;
    bool connecting_now = false;        // inside lws_client_connect_via_info
    std::string* sync_error = nullptr;  // where a connection error inside it is kept
    bool attempt_over = false;          // this attempt has been reported (failure or end)
    bool delivered = false;             // the handler got on_response/on_body/on_open: no retry
    bool proxied = false;
    Clock::time_point started{}, attempt_started{};
    std::string address, host_header, path;  // the strings lws was given for this attempt
    JobTimer connect_timer, first_byte_timer, total_timer, backoff_timer;
    // HTTP response of the attempt
    int status = 0;
    int retry_after_s = -1;
    std::string error_body;   // non-2xx bodies, capped at 4 KiB
    std::string logged_body;  // the first 2 KiB of a 2xx body, for the debug log
    std::size_t body_sent = 0;
    // WebSocket state
    std::deque<OutMessage> outq;
    std::vector<unsigned char> tx;  // LWS_PRE + the message being written; reused
    bool close_wanted = false;
    bool close_sent = false;
    std::string rx;
    bool rx_binary = false;
    bool rx_in_message = false;
    int peer_close_code = 0;
};

}  // namespace ringoverbot::net::client_detail
