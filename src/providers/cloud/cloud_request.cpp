#include "providers/cloud/cloud_request.hpp"

#include <utility>

namespace ringoverbot::providers::cloud {

Result<std::shared_ptr<net::ClientLoop>> client_loop(const std::shared_ptr<CloudClient>& client,
                                                     std::string_view who) {
    auto loop = std::dynamic_pointer_cast<net::ClientLoop>(client);
    if (!loop)
        return Error{Errc::invalid_argument,
                     std::string(who) + ": no cloud client (make one with net::make_cloud_client)"};
    return loop;
}

net::Deadlines deadlines(const CloudTimeouts& t) {
    net::Deadlines d;
    d.connect_ms = t.connect_ms;
    d.first_byte_ms = t.first_byte_ms;
    d.total_ms = t.total_ms;
    d.idle_ms = t.first_byte_ms;  // a streamed body that stalls as long as a first byte may take
    return d;
}

net::RetryPolicy retry_policy(const CloudTimeouts& t) {
    net::RetryPolicy r;
    r.max_attempts = t.max_attempts == 0 ? 1 : t.max_attempts;
    return r;
}

Result<net::Url> endpoint(std::string_view who, std::string_view base_url, std::string_view path,
                          bool websocket) {
    auto url = net::join_url(base_url, path);
    if (!url)
        return Error{Errc::invalid_argument,
                     std::string(who) + " base URL: " + url.error().message};
    const bool ws = url->scheme == net::Scheme::ws || url->scheme == net::Scheme::wss;
    if (ws != websocket)
        return Error{Errc::invalid_argument,
                     std::string(who) + " base URL: expected " +
                         (websocket ? "a ws:// or wss://" : "an http:// or https://") +
                         " URL, got " + std::string(base_url)};
    return url;
}

net::HttpRequest post(std::string_view provider, net::Url url, net::Header auth,
                      std::string content_type, std::string body, const CloudTimeouts& t) {
    net::HttpRequest r;
    r.provider = std::string(provider);
    r.method = "POST";
    r.url = std::move(url);
    if (!auth.value.empty()) r.headers.push_back(std::move(auth));
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    r.deadlines = deadlines(t);
    // Every cloud request of ours is side-effect free on the service (a completion, a
    // synthesis, a transcription), so a retry before any result reached the call is safe.
    r.idempotent = true;
    r.retry = retry_policy(t);
    return r;
}

}  // namespace ringoverbot::providers::cloud
