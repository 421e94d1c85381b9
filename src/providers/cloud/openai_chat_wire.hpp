// The OpenAI chat completions wire format (POST {base}/chat/completions with "stream": true),
// as OpenAI and the compatible servers (Ollama, llama.cpp server, vLLM) speak it. Sans-I/O.
//
// The agent's actions are declared as function tools:
//   transfer_call {"number": string}   -> ActionKind::transfer
//   send_digits   {"digits": string}   -> ActionKind::digits   (0-9 * # A-D, w for a pause)
//   play_audio    {"url": string}      -> ActionKind::play
//   end_call      {}                   -> ActionKind::end_call
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers::cloud {

struct ChatParams {
    std::string model;
    double temperature = -1;       // < 0: not sent (the server's default)
    std::uint32_t max_tokens = 0;  // 0: not sent
    bool tools = true;             // declare the action tools
    std::string user;              // "user" field (e.g. the call id); empty: not sent
};

// The request body: {"model":..,"messages":[..],"stream":true,"tools":[..],...}.
std::string build_chat_request(const ChatParams& params, const std::vector<Message>& messages);

// The tools array alone (also used by the tests and the fixture docs).
std::string chat_tools_json();

// Turns a tool call (name + its JSON arguments) into an action. invalid_argument naming the
// problem for an unknown tool, bad JSON, or a missing/empty/ill-formed argument.
Result<Action> tool_call_to_action(std::string_view name, std::string_view arguments_json);

class ChatStreamSink {
  public:
    virtual ~ChatStreamSink() = default;
    virtual void on_token(std::string_view text) = 0;
    virtual void on_action(const Action& action) = 0;
};

// Decodes the SSE "data" payloads of one streamed completion. Content deltas go out at once;
// tool-call deltas (split across any number of events, by index) are assembled and go out as
// actions, in index order, when the choice finishes (finish_reason) or at "[DONE]".
class ChatStreamDecoder {
  public:
    // One event's data. "[DONE]" ends the stream. A JSON error object ({"error":{...}}, which
    // some servers send mid-stream) gives provider_failed with its message; undecodable JSON
    // gives protocol. A bad tool call gives invalid_argument (the stream may go on).
    Status feed(std::string_view data, ChatStreamSink& sink);
    // True after "[DONE]" (or a finish_reason when the server sends no [DONE] before closing).
    bool done() const noexcept { return done_; }
    bool finished() const noexcept { return finished_; }  // a finish_reason was seen
    // At the end of the body: flushes tool calls not yet emitted. protocol when the stream
    // ended with neither a finish_reason nor [DONE] (a cut stream).
    Status finish(ChatStreamSink& sink);
    const std::string& finish_reason() const noexcept { return finish_reason_; }

  private:
    struct PendingCall {
        std::string name, arguments;
    };
    Status flush_calls(ChatStreamSink& sink);
    std::map<std::uint64_t, PendingCall> calls_;
    std::string finish_reason_;
    bool done_ = false;
    bool finished_ = false;
};

}  // namespace ringoverbot::providers::cloud
