// The Ringover REST client: a FIFO queue paced by a token bucket and an arrival window
// (rest_pacing.hpp) on one pacing thread, each request sent through the shared cloud client, 429s
// sent again after a backoff that holds the whole queue (the limit is per key, so every queued
// request would meet it too).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "providers/cloud/cloud_request.hpp"
#include "ringover/rest_pacing.hpp"
#include "ringover/rest_wire.hpp"

namespace ringoverbot::ringover {

RestClient::~RestClient() = default;

namespace {

using detail::RestRequest;
constexpr std::string_view kProvider = "ringover";

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Pending {
    RestRequest request;
    RestCallback done;
    std::uint32_t rate_limited = 0;  // 429s in a row so far
};

// What the pacing thread and the response handlers share; outlives the client while a
// handler still holds it.
struct State : std::enable_shared_from_this<State> {
    State(RestConfig c, std::shared_ptr<net::ClientLoop> l, std::string base)
        : config(std::move(c)),
          loop(std::move(l)),
          base_url(std::move(base)),
          bucket(config.requests_per_second, config.burst),
          window(config.requests_per_second) {}

    const RestConfig config;
    const std::shared_ptr<net::ClientLoop> loop;
    const std::string base_url;

    std::mutex mu;
    std::condition_variable cv;
    std::deque<Pending> queue;
    detail::TokenBucket bucket;
    detail::ArrivalWindow window;
    bool stopping = false;
    std::uint64_t next_id = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<providers::Request>> in_flight;
    std::minstd_rand rng{std::random_device{}()};
    std::atomic<std::uint64_t> sent{0}, rate_limited{0};
    // Held while a user callback runs: the client's destructor waits for a running one.
    std::recursive_mutex callback_mu;

    void deliver(const RestCallback& done, Result<RestReply> r) {
        std::lock_guard<std::recursive_mutex> cb(callback_mu);
        {
            std::lock_guard<std::mutex> lock(mu);
            if (stopping) return;
        }
        if (done) done(std::move(r));
    }

    // Starts `p`, with `mu` held. A request that cannot start is left in refused/refusal for
    // the pacing thread to answer once it has let go of `mu`.
    void send(Pending p);
    RestCallback refused;
    Error refusal;
    void on_answer(std::uint64_t id, Pending p, Result<RestReply> r, int failed_status);
};

class Handler final : public net::HttpHandler {
  public:
    Handler(std::shared_ptr<State> state, std::uint64_t id, Pending p)
        : state_(std::move(state)), id_(id), pending_(std::move(p)) {}
    void on_response(int status) override { status_ = status; }
    void on_body(std::span<const std::uint8_t> data) override {
        body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    }
    void on_complete() override {
        state_->on_answer(id_, std::move(pending_), RestReply{status_, std::move(body_)}, 0);
    }
    void on_failure(const net::Failure& f) override {
        Error e{f.code(), detail::error_text(pending_.request.name, f.message)};
        state_->on_answer(id_, std::move(pending_), e, f.http_status);
    }

  private:
    std::shared_ptr<State> state_;
    std::uint64_t id_;
    Pending pending_;
    int status_ = 0;
    std::string body_;
};

void State::send(Pending p) {
    auto url = net::join_url(base_url, p.request.path);
    if (!url) {  // the base URL was checked at create: only a bad path gets here
        refused = std::move(p.done);
        refusal = Error{Errc::invalid_argument,
                        "ringover " + p.request.name + ": " + url.error().message};
        return;
    }
    net::HttpRequest r;
    r.provider = std::string(kProvider);
    r.method = p.request.method;
    r.url = std::move(*url);
    // Bare key: Ringover refuses "Bearer <key>" with 401 "Missing API key".
    r.headers.push_back(net::Header{"Authorization", config.api_key, true});
    r.headers.push_back(net::Header{"Accept", "application/json", false});
    if (p.request.method != "GET") {
        r.content_type = "application/json";
        r.body = p.request.body;
    }
    r.deadlines.connect_ms = config.connect_timeout_ms;
    r.deadlines.first_byte_ms = config.timeout_ms;
    r.deadlines.total_ms = config.timeout_ms;
    // Only a 429 is sent again, here, paced: a POST that reached Ringover may have acted.
    r.idempotent = false;
    r.retry.max_attempts = 1;
    const std::uint64_t id = next_id++;
    sent.fetch_add(1);
    window.start(id);
    // The handler's reference keeps the state alive for a late callback.
    auto handler = std::make_shared<Handler>(shared_from_this(), id, std::move(p));
    in_flight.emplace(id, loop->http(std::move(r), std::move(handler)));
}

void State::on_answer(std::uint64_t id, Pending p, Result<RestReply> r, int failed_status) {
    std::unique_ptr<providers::Request> handle;  // released outside the lock
    {
        std::lock_guard<std::mutex> lock(mu);
        const auto it = in_flight.find(id);
        if (it != in_flight.end()) {
            handle = std::move(it->second);
            in_flight.erase(it);
        }
        if (stopping) return;
        window.answered(id, now_us());
        cv.notify_all();
        if (failed_status == 429) {
            rate_limited.fetch_add(1);
            if (p.rate_limited < config.max_rate_limited_retries) {
                // Ringover sends no Retry-After: back off, holding the queue, and go first.
                ++p.rate_limited;
                const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
                const std::uint32_t wait = detail::rate_limit_backoff_ms(
                    p.rate_limited, config.backoff_ms, config.max_backoff_ms, unit);
                bucket.hold_until(now_us() + static_cast<std::int64_t>(wait) * 1000);
                queue.push_front(std::move(p));
                cv.notify_all();
                return;
            }
        }
    }
    deliver(p.done, std::move(r));
}

void pace(const std::shared_ptr<State>& st) {
    std::unique_lock<std::mutex> lock(st->mu);
    while (!st->stopping) {
        if (st->queue.empty()) {
            st->cv.wait(lock);
            continue;
        }
        const std::int64_t now = now_us();
        const std::int64_t at = std::max(st->bucket.ready_at(now), st->window.ready_at(now));
        if (at == INT64_MAX) {  // as many requests in flight as the window holds
            st->cv.wait(lock);
            continue;
        }
        if (at > now) {
            st->cv.wait_for(lock, std::chrono::microseconds(at - now));
            continue;
        }
        st->bucket.take(now);
        Pending p = std::move(st->queue.front());
        st->queue.pop_front();
        st->send(std::move(p));
        if (st->refused) {
            RestCallback done = std::move(st->refused);
            st->refused = nullptr;
            const Error e = st->refusal;
            lock.unlock();
            st->deliver(done, e);
            lock.lock();
        }
    }
}

class RestClientImpl final : public RestClient {
  public:
    RestClientImpl(RestConfig config, std::shared_ptr<State> state)
        : RestClient(std::move(config)), state_(std::move(state)) {
        thread_ = std::thread([st = state_] { pace(st); });
    }
    ~RestClientImpl() override {
        std::unordered_map<std::uint64_t, std::unique_ptr<providers::Request>> in_flight;
        {
            std::lock_guard<std::recursive_mutex> cb(state_->callback_mu);
            std::lock_guard<std::mutex> lock(state_->mu);
            state_->stopping = true;
            state_->queue.clear();
            in_flight.swap(state_->in_flight);
            state_->cv.notify_all();
        }
        if (thread_.joinable()) thread_.join();
        in_flight.clear();  // cancels them: no handler call reaches a user after this
    }

    void current_calls(std::string filter_json, RestCallback done) override {
        submit(detail::current_calls_request(config_, filter_json), std::move(done));
    }
    void call_details(std::string call_id, RestCallback done) override {
        submit(detail::call_details_request(config_, call_id), std::move(done));
    }
    void transfer(std::string channel_id, std::string number, RestCallback done) override {
        submit(detail::transfer_request(config_, channel_id, number), std::move(done));
    }
    void send_dtmf(std::string channel_id, std::string digits, RestCallback done) override {
        submit(detail::dtmf_request(config_, channel_id, digits), std::move(done));
    }
    void toggle(std::string channel_id, Toggle what, RestCallback done) override {
        submit(detail::toggle_request(config_, channel_id, what), std::move(done));
    }
    void hangup(CallRef call, RestCallback done) override {
        submit(detail::hangup_request(config_, call), std::move(done));
    }
    void request(std::string method, std::string path, std::string json_body,
                 RestCallback done) override {
        if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" &&
            method != "DELETE") {
            done(Error{Errc::invalid_argument, "ringover request: unknown method " + method});
            return;
        }
        if (path.empty() || path.front() != '/') {
            done(Error{Errc::invalid_argument, "ringover request: the path must start with /"});
            return;
        }
        submit(RestRequest{"request", std::move(method), std::move(path), std::move(json_body)},
               std::move(done));
    }

    std::string base_url() const override { return state_->base_url; }
    std::uint64_t sent() const override { return state_->sent.load(); }
    std::uint64_t rate_limited() const override { return state_->rate_limited.load(); }
    std::size_t queued() const override {
        std::lock_guard<std::mutex> lock(state_->mu);
        return state_->queue.size();
    }

  private:
    // A request refused before it was queued is answered at once, on the caller's thread.
    void submit(Result<RestRequest> r, RestCallback done) {
        if (!r) {
            if (done) done(r.error());
            return;
        }
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->queue.push_back(Pending{std::move(*r), std::move(done), 0});
        state_->cv.notify_all();
    }

    std::shared_ptr<State> state_;
    std::thread thread_;
};

}  // namespace

Result<std::shared_ptr<RestClient>> RestClient::create(
    RestConfig config, std::shared_ptr<providers::CloudClient> client) {
    if (config.api_key.empty())
        return Error{Errc::invalid_argument, "ringover api_key: required (RINGOVER_API_KEY)"};
    if (config.api_key.find_first_of("\r\n") != std::string::npos)
        return Error{Errc::invalid_argument, "ringover api_key: holds a line break"};
    if (!(config.requests_per_second > 0) || config.requests_per_second > 1000)
        return Error{Errc::invalid_argument, "ringover requests_per_second: must be in (0, 1000]"};
    if (config.timeout_ms == 0 || config.connect_timeout_ms == 0)
        return Error{Errc::invalid_argument, "ringover timeout_ms, connect_timeout_ms: nonzero"};
    std::string base = base_url_for_key(config.api_key, config.base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto probe = providers::cloud::endpoint("ringover", base, "/calls", false);
    if (!probe) return probe.error();
    auto loop = providers::cloud::client_loop(client, "ringover");
    if (!loop) return loop.error();
    auto state = std::make_shared<State>(config, std::move(*loop), std::move(base));
    return std::shared_ptr<RestClient>(
        std::make_shared<RestClientImpl>(std::move(config), std::move(state)));
}

}  // namespace ringoverbot::ringover
