// The requests of the cloud client as the other threads see them: the handles (start, cancel,
// send, close), each posting a command to the loop, and the loop's side of those commands.
#include "net/client/engine.hpp"

namespace ringoverbot::net::client_detail {

namespace {

class HttpHandle final : public providers::Request {
  public:
    HttpHandle(std::shared_ptr<Token> token, std::shared_ptr<Mailbox> mailbox)
        : token_(std::move(token)), mailbox_(std::move(mailbox)) {}
    ~HttpHandle() override { cancel(); }
    void cancel() override {
        if (token_->cancelled.exchange(true)) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](ClientEngine& engine) { engine.cancel_job(id); });
    }

  private:
    std::shared_ptr<Token> token_;
    std::shared_ptr<Mailbox> mailbox_;
};

class WsHandle final : public WsConnection {
  public:
    WsHandle(std::shared_ptr<Token> token, std::shared_ptr<Mailbox> mailbox)
        : token_(std::move(token)), mailbox_(std::move(mailbox)) {}
    ~WsHandle() override { cancel(); }
    void cancel() override {
        if (token_->cancelled.exchange(true)) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](ClientEngine& engine) { engine.cancel_job(id); });
    }
    void send_text(std::string text) override {
        send(OutMessage{std::vector<std::uint8_t>(text.begin(), text.end()), false});
    }
    void send_binary(std::vector<std::uint8_t> data) override {
        send(OutMessage{std::move(data), true});
    }
    void close() override {
        if (token_->cancelled.load()) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id](ClientEngine& engine) { engine.ws_close(id); });
    }

  private:
    void send(OutMessage message) {
        if (token_->cancelled.load()) return;
        const std::uint64_t id = token_->id;
        mailbox_->post([id, m = std::move(message)](ClientEngine& engine) mutable {
            engine.ws_send(id, std::move(m));
        });
    }
    std::shared_ptr<Token> token_;
    std::shared_ptr<Mailbox> mailbox_;
};

}  // namespace

// ---- ClientEngine: requests in (any thread) -----------------------------------------------------

void ClientEngine::submit(std::unique_ptr<Job> job) {
    for (const Header& h : job->headers)
        if (h.secret) secrets_.add(h.value);
    counters_.count_request(job->provider, false);
    jobs_alive_.fetch_add(1);
    ensure_loop();
    auto holder = std::make_shared<std::unique_ptr<Job>>(std::move(job));
    mailbox_->post([holder](ClientEngine& engine) { engine.add_job(std::move(*holder)); });
}

std::unique_ptr<providers::Request> ClientEngine::http(HttpRequest request,
                                                       std::shared_ptr<HttpHandler> handler) {
    auto job = std::make_unique<Job>();
    job->id = next_id_.fetch_add(1);
    job->token = std::make_shared<Token>(job->id);
    job->provider = std::move(request.provider);
    job->url = std::move(request.url);
    job->headers = std::move(request.headers);
    job->deadlines = request.deadlines;
    job->retry = request.retry;
    job->may_retry = request.idempotent;
    job->method = std::move(request.method);
    job->content_type = std::move(request.content_type);
    job->body = std::move(request.body);
    job->http_handler = std::move(handler);
    auto handle = std::make_unique<HttpHandle>(job->token, mailbox_);
    submit(std::move(job));
    return handle;
}

std::unique_ptr<WsConnection> ClientEngine::websocket(WsRequest request,
                                                      std::shared_ptr<WsHandler> handler) {
    auto job = std::make_unique<Job>();
    job->id = next_id_.fetch_add(1);
    job->is_ws = true;
    job->token = std::make_shared<Token>(job->id);
    job->provider = std::move(request.provider);
    job->url = std::move(request.url);
    job->headers = std::move(request.headers);
    job->deadlines = request.deadlines;
    job->retry = request.retry;
    job->may_retry = request.retry_connect;
    job->method = "GET";
    job->max_message_bytes = request.max_message_bytes;
    job->ws_handler = std::move(handler);
    auto handle = std::make_unique<WsHandle>(job->token, mailbox_);
    submit(std::move(job));
    return handle;
}

// ---- ClientEngine: the handles' commands (loop thread) ------------------------------------------

void ClientEngine::cancel_job(std::uint64_t id) {
    const auto it = jobs_.find(id);
    if (it != jobs_.end()) finish(*it->second);
}

void ClientEngine::ws_send(std::uint64_t id, OutMessage message) {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Job& job = *it->second;
    if (job.close_wanted) return;
    job.outq.push_back(std::move(message));
    if (job.phase == Phase::open && job.wsi != nullptr) lws_callback_on_writable(job.wsi);
}

void ClientEngine::ws_close(std::uint64_t id) {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    Job& job = *it->second;
    // Before the socket is open the close waits: the queue goes first, then the close frame.
    job.close_wanted = true;
    if (job.phase == Phase::open && job.wsi != nullptr) lws_callback_on_writable(job.wsi);
}

}  // namespace ringoverbot::net::client_detail
