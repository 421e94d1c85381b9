// The mailbox between a call's providers (any thread) and its engine (the loop thread).
//
// Every request the engine makes gets its own sink: a small object that knows the inbox and
// the request's id, and nothing of the Call. A provider callback locks the inbox, appends one
// event and wakes the host when the queue was empty (one wake per batch is enough: the host's
// poll() drains everything). The engine drains on its loop thread and drops the events of
// requests it has cancelled by comparing ids, so a provider never needs to synchronise with
// cancellation.
//
// Ownership has no cycle: Call -> request handles -> (inside the provider) sinks -> inbox. The
// inbox points at nothing. When the call goes away it closes the inbox: from then on pushes are
// dropped and the waker is never called again, so a provider's late callback after the Call is
// destroyed only touches the inbox, which the sink keeps alive.
//
// The waker is called with the inbox's mutex held. That is what makes close() a barrier: once
// close() returns no waker call is running or will start, so the host may free whatever its
// waker points at. The contract of Waker (it must not call into the Call) keeps this free of
// deadlocks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/agent.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::agent {

enum class InboxEventKind : std::uint8_t {
    stt_transcript,
    stt_speech_started,
    stt_utterance_end,
    stt_error,
    llm_token,
    llm_action,
    llm_done,
    llm_error,
    tts_audio,
    tts_done,
    tts_error,
};

struct InboxEvent {
    InboxEventKind kind = InboxEventKind::llm_done;
    std::uint64_t request = 0;                          // the id the engine gave the request
    std::string text;                                   // transcript, token, error message
    bool is_final = false;                              // stt_transcript
    double confidence = providers::kUnknownConfidence;  // stt_transcript
    providers::Action action;                           // llm_action
    std::vector<std::int16_t> samples;                  // tts_audio (copied)
    std::shared_ptr<const void> shared_owner;           // tts_audio (shared): keeps...
    std::span<const std::int16_t> shared_samples;       // ...these alive, instead of samples
    std::uint32_t sample_rate_hz = 0;                   // tts_audio
    Errc error = Errc::ok;                              // *_error
};

class ProviderInbox {
  public:
    explicit ProviderInbox(Waker waker) : waker_(std::move(waker)) {}

    // Thread-safe. Dropped once closed.
    void push(InboxEvent&& event);
    // A buffer for tts_audio samples, recycled from drained events (no allocation per chunk
    // once warm). Thread-safe.
    std::vector<std::int16_t> take_buffer();

    // Loop thread: moves every waiting event into `out` (cleared first). Returns false (without
    // locking) when nothing is waiting.
    bool drain(std::vector<InboxEvent>& out);
    // Loop thread: hands the audio buffers of processed events back for reuse.
    void recycle(std::vector<InboxEvent>& processed);

    // No event is queued and no waker call happens after this returns.
    void close();
    bool closed() const;

  private:
    mutable std::mutex mutex_;
    Waker waker_;
    std::vector<InboxEvent> queue_;
    std::vector<std::vector<std::int16_t>> spare_;
    std::atomic<bool> pending_{false};
    bool closed_ = false;
};

// The sinks handed to providers. Each holds the inbox (shared) and its request's id.
class InboxSttSink final : public providers::SttSink {
  public:
    InboxSttSink(std::shared_ptr<ProviderInbox> inbox, std::uint64_t id)
        : inbox_(std::move(inbox)), id_(id) {}
    void on_transcript(std::string_view text, bool is_final, double confidence) override;
    void on_speech_started() override;
    void on_utterance_end() override;
    void on_error(const Error& error) override;

  private:
    std::shared_ptr<ProviderInbox> inbox_;
    std::uint64_t id_;
};

class InboxLlmSink final : public providers::LlmSink {
  public:
    InboxLlmSink(std::shared_ptr<ProviderInbox> inbox, std::uint64_t id)
        : inbox_(std::move(inbox)), id_(id) {}
    void on_token(std::string_view text) override;
    void on_action(const providers::Action& action) override;
    void on_done() override;
    void on_error(const Error& error) override;

  private:
    std::shared_ptr<ProviderInbox> inbox_;
    std::uint64_t id_;
};

class InboxTtsSink final : public providers::TtsSink {
  public:
    InboxTtsSink(std::shared_ptr<ProviderInbox> inbox, std::uint64_t id)
        : inbox_(std::move(inbox)), id_(id) {}
    void on_audio(std::span<const std::int16_t> samples, std::uint32_t sample_rate_hz) override;
    void on_shared_audio(std::shared_ptr<const void> owner, std::span<const std::int16_t> samples,
                         std::uint32_t sample_rate_hz) override;
    void on_done() override;
    void on_error(const Error& error) override;

  private:
    std::shared_ptr<ProviderInbox> inbox_;
    std::uint64_t id_;
};

}  // namespace ringoverbot::agent
