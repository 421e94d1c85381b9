// The speculative reply: an LLM request started on the caller's interim transcript at a short
// pause, before the turn is final, and kept when the final transcript says the same words.
//
// This holds one such request and everything it streamed, so that nothing of it reaches the
// reply (and so the TTS and the line) before the engine adopts it: the engine adopts it only
// once the turn is final and has passed its confidence gates, with a request whose messages
// are those of the speculation (the last user message compared by its normalized words), and
// then replays the buffered output as if it arrived at that moment. Otherwise it is cancelled
// and the engine asks again. Sans-I/O: no clock, no provider calls but cancel().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/providers.hpp"

namespace ringoverbot::agent {

class Speculation {
  public:
    // What the speculative request streamed, in order.
    struct Item {
        enum class Kind { token, action, done };
        Kind kind = Kind::token;
        std::string text;
        providers::Action action;
    };
    // The request handed to the reply by take().
    struct Adopted {
        std::uint64_t id = 0;
        std::unique_ptr<providers::Request> request;
        std::vector<Item> items;
    };

    // The caller's words so far in the open turn (the turn's finals, then the newest interim).
    // Returns true when a speculation is running on other words: it is stale (cancel it).
    bool set_candidate(std::string_view text);
    // Forgets the candidate (a new turn, or the turn answered).
    void clear_candidate();
    const std::string& candidate() const { return candidate_; }
    // A candidate with words, no speculation running, and none tried on these words yet (a
    // failed or cancelled one is not retried on the same words).
    bool wants_start() const;

    // A request was started on the candidate with these messages (the last one the user's).
    void start(std::uint64_t id, std::vector<providers::Message> messages);
    // The provider's handle for the request started (it may have streamed already).
    void set_request(std::unique_ptr<providers::Request> request);
    bool running() const { return id_ != 0; }
    std::uint64_t id() const { return id_; }

    // Output of the running request (dropped when none runs).
    void on_token(std::string_view text);
    void on_action(const providers::Action& action);
    void on_done();

    // True when `messages` are the speculation's: equal but for the last user message, whose
    // normalized words must be equal.
    bool matches(const std::vector<providers::Message>& messages) const;
    // Hands the running request and its buffered output over; nothing runs after.
    Adopted take();
    // Cancels the running request, if any. Returns true when one was cancelled.
    bool cancel();

  private:
    std::string candidate_;
    std::vector<std::string> candidate_words_;
    std::vector<std::string> tried_words_;  // of the newest speculation started
    std::uint64_t id_ = 0;
    std::vector<providers::Message> messages_;
    std::vector<std::string> spoken_words_;  // of the request's last user message
    std::unique_ptr<providers::Request> request_;
    std::vector<Item> items_;
};

}  // namespace ringoverbot::agent
