#include "agent/provider_inbox.hpp"

#include <utility>

namespace ringoverbot::agent {
namespace {

// Spare audio buffers kept for reuse; more would only hold memory after a burst.
constexpr std::size_t kMaxSpareBuffers = 16;
constexpr std::size_t kKeptEvents = 8;  // event slots a drained array keeps between batches

}  // namespace

void ProviderInbox::push(InboxEvent&& event) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    const bool was_empty = queue_.empty();
    queue_.push_back(std::move(event));
    pending_.store(true, std::memory_order_release);
    // Held lock: see the header (close() must be a barrier for the waker).
    if (was_empty && waker_) waker_();
}

std::vector<std::int16_t> ProviderInbox::take_buffer() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return {};
    std::vector<std::int16_t> buf = std::move(spare_.back());
    spare_.pop_back();
    buf.clear();
    return buf;
}

bool ProviderInbox::drain(std::vector<InboxEvent>& out) {
    out.clear();
    if (!pending_.load(std::memory_order_acquire)) return false;
    std::lock_guard lock(mutex_);
    out.swap(queue_);  // queue_ keeps out's old capacity
    pending_.store(false, std::memory_order_relaxed);
    return !out.empty();
}

void ProviderInbox::recycle(std::vector<InboxEvent>& processed) {
    std::lock_guard lock(mutex_);
    for (auto& e : processed) {
        if (e.samples.capacity() == 0 || spare_.size() >= kMaxSpareBuffers) continue;
        spare_.push_back(std::move(e.samples));
    }
    processed.clear();
    // A burst (a cached greeting arrives as dozens of chunks at once) must not leave its event
    // array behind for the rest of the call: drain() swaps it into the queue, so both would
    // keep it. A few events, the common case, keep their storage.
    if (processed.capacity() > kKeptEvents) std::vector<InboxEvent>().swap(processed);
}

void ProviderInbox::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queue_.clear();
    spare_.clear();
    pending_.store(false, std::memory_order_relaxed);
    waker_ = nullptr;  // what it captured is the host's and may go away now
}

bool ProviderInbox::closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
}

namespace {

InboxEvent make(InboxEventKind kind, std::uint64_t id) {
    InboxEvent e;
    e.kind = kind;
    e.request = id;
    return e;
}

InboxEvent make_error(InboxEventKind kind, std::uint64_t id, const Error& error) {
    InboxEvent e = make(kind, id);
    e.error = error.code;
    e.text = error.message;
    return e;
}

}  // namespace

void InboxSttSink::on_transcript(std::string_view text, bool is_final, double confidence) {
    InboxEvent e = make(InboxEventKind::stt_transcript, id_);
    e.text.assign(text);
    e.is_final = is_final;
    e.confidence = confidence;
    inbox_->push(std::move(e));
}
void InboxSttSink::on_speech_started() {
    inbox_->push(make(InboxEventKind::stt_speech_started, id_));
}
void InboxSttSink::on_utterance_end() {
    inbox_->push(make(InboxEventKind::stt_utterance_end, id_));
}
void InboxSttSink::on_error(const Error& error) {
    inbox_->push(make_error(InboxEventKind::stt_error, id_, error));
}

void InboxLlmSink::on_token(std::string_view text) {
    InboxEvent e = make(InboxEventKind::llm_token, id_);
    e.text.assign(text);
    inbox_->push(std::move(e));
}
void InboxLlmSink::on_action(const providers::Action& action) {
    InboxEvent e = make(InboxEventKind::llm_action, id_);
    e.action = action;
    inbox_->push(std::move(e));
}
void InboxLlmSink::on_done() {
    inbox_->push(make(InboxEventKind::llm_done, id_));
}
void InboxLlmSink::on_error(const Error& error) {
    inbox_->push(make_error(InboxEventKind::llm_error, id_, error));
}

void InboxTtsSink::on_audio(std::span<const std::int16_t> samples, std::uint32_t sample_rate_hz) {
    InboxEvent e = make(InboxEventKind::tts_audio, id_);
    e.samples = inbox_->take_buffer();
    e.samples.assign(samples.begin(), samples.end());
    e.sample_rate_hz = sample_rate_hz;
    inbox_->push(std::move(e));
}
void InboxTtsSink::on_shared_audio(std::shared_ptr<const void> owner,
                                   std::span<const std::int16_t> samples,
                                   std::uint32_t sample_rate_hz) {
    InboxEvent e = make(InboxEventKind::tts_audio, id_);
    e.shared_owner = std::move(owner);
    e.shared_samples = samples;
    e.sample_rate_hz = sample_rate_hz;
    inbox_->push(std::move(e));
}
void InboxTtsSink::on_done() {
    inbox_->push(make(InboxEventKind::tts_done, id_));
}
void InboxTtsSink::on_error(const Error& error) {
    inbox_->push(make_error(InboxEventKind::tts_error, id_, error));
}

}  // namespace ringoverbot::agent
