// The OpenAI-compatible chat completions LLM: POST {base}/chat/completions with stream true,
// read as server-sent events. Content deltas go to the sink as tokens as they arrive; tool-call
// deltas are assembled into the agent's actions (openai_chat_wire.hpp). The messages are what the
// engine keeps: the system prompt, then only what the caller heard of each reply.
#include <atomic>
#include <memory>
#include <string>

#include "providers/cloud/cloud_request.hpp"
#include "providers/cloud/openai_chat_wire.hpp"
#include "providers/cloud/sse.hpp"

namespace ringoverbot::providers {
namespace {

using cloud::ChatStreamDecoder;

// Handler of one completion (loop thread). After the first error or the end, nothing more
// reaches the sink.
class ChatHandler final : public net::HttpHandler, private cloud::ChatStreamSink {
  public:
    explicit ChatHandler(std::shared_ptr<LlmSink> sink) : sink_(std::move(sink)) {}

    void on_body(std::span<const std::uint8_t> data) override {
        if (over_) return;
        const std::string_view chunk(reinterpret_cast<const char*>(data.data()), data.size());
        if (auto st = sse_.feed(chunk); !st) return fail("openai: " + st.error().message);
        cloud::SseEvent ev;
        while (!over_ && sse_.next(ev)) {
            if (ev.data.empty()) continue;
            const Status st = decoder_.feed(ev.data, *this);
            if (!st && st.code() != Errc::invalid_argument)
                return fail("openai: " + st.error().message);
            // A tool call the agent cannot run (bad arguments) is dropped; the words go on.
            if (decoder_.done()) return finish();
        }
    }

    void on_complete() override {
        if (!over_) finish();
    }

    void on_failure(const net::Failure& failure) override {
        if (over_) return;
        over_ = true;
        sink_->on_error(Error{failure.code(), "openai: " + failure.message});
    }

  private:
    void on_token(std::string_view text) override { sink_->on_token(text); }
    void on_action(const Action& action) override { sink_->on_action(action); }

    void finish() {
        const Status st = decoder_.finish(*this);
        if (!st && st.code() != Errc::invalid_argument)
            return fail("openai: " + st.error().message);
        over_ = true;
        sink_->on_done();
    }

    // A bad stream (undecodable bytes, an error object mid-stream, a cut stream) is the
    // provider failing, like an HTTP error: the engine speaks its fallback.
    void fail(std::string message) {
        over_ = true;
        sink_->on_error(Error{Errc::provider_failed, std::move(message)});
    }

    std::shared_ptr<LlmSink> sink_;
    cloud::SseParser sse_;
    ChatStreamDecoder decoder_;
    bool over_ = false;
};

class OpenAiLlm final : public LlmProvider {
  public:
    OpenAiLlm(OpenAiLlmOptions options, std::shared_ptr<net::ClientLoop> loop, net::Url url)
        : options_(std::move(options)), loop_(std::move(loop)), url_(std::move(url)) {}

    std::string_view name() const override { return "openai"; }

    Result<std::unique_ptr<Request>> start(const LlmRequest& request,
                                           std::shared_ptr<LlmSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "openai: no sink"};
        cloud::ChatParams params;
        params.model = options_.model;
        params.temperature = options_.temperature;
        params.max_tokens = options_.max_tokens;
        params.tools = options_.tools;
        params.user = request.call_id;
        net::Header auth{"Authorization", "", true};
        if (!options_.api_key.empty()) auth.value = "Bearer " + options_.api_key;
        net::HttpRequest r =
            cloud::post("openai", url_, std::move(auth), "application/json",
                        cloud::build_chat_request(params, request.messages), options_.timeouts);
        r.headers.push_back({"Accept", "text/event-stream", false});
        return loop_->http(std::move(r), std::make_shared<ChatHandler>(std::move(sink)));
    }

  private:
    OpenAiLlmOptions options_;
    std::shared_ptr<net::ClientLoop> loop_;
    net::Url url_;
};

}  // namespace

Result<std::shared_ptr<LlmProvider>> make_openai_llm(OpenAiLlmOptions options,
                                                     std::shared_ptr<CloudClient> client) {
    auto loop = cloud::client_loop(client, "openai");
    if (!loop) return loop.error();
    if (options.model.empty()) return Error{Errc::invalid_argument, "openai: model is empty"};
    auto url = cloud::endpoint("openai", options.base_url, "/chat/completions", false);
    if (!url) return url.error();
    return std::shared_ptr<LlmProvider>(
        std::make_shared<OpenAiLlm>(std::move(options), std::move(*loop), std::move(*url)));
}

}  // namespace ringoverbot::providers
