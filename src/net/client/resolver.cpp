// The cloud client's resolver threads.
#include "net/client/resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

namespace ringoverbot::net::client_detail {

bool is_ip_literal(const std::string& host) {
    in6_addr a6{};
    in_addr a4{};
    return inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

std::pair<std::string, std::string> resolve_name(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr) {
        return {{}, "could not resolve " + host + ": " + gai_strerror(rc)};
    }
    std::string v4, v6;
    char buf[INET6_ADDRSTRLEN] = {};
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
        if (a->ai_family == AF_INET && v4.empty()) {
            const auto* sa = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
            if (inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf) != nullptr) v4 = buf;
        } else if (a->ai_family == AF_INET6 && v6.empty()) {
            const auto* sa = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
            if (inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf) != nullptr) v6 = buf;
        }
    }
    freeaddrinfo(res);
    if (!v4.empty()) return {v4, {}};
    if (!v6.empty()) return {v6, {}};
    return {{}, "could not resolve " + host + ": no IPv4 or IPv6 address"};
}

void Resolver::start(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

void Resolver::resolve(std::uint64_t id, std::uint32_t attempt, std::string host) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(Task{id, attempt, std::move(host)});
    }
    cv_.notify_one();
}

void Resolver::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_)
        if (t.joinable()) {
            if (t.get_id() == std::this_thread::get_id())
                t.detach();
            else
                t.join();
        }
    threads_.clear();
}

void Resolver::run() {
    for (;;) {
        Task task;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        auto [address, error] = resolve_name(task.host);
        done_(task.id, task.attempt, std::move(address), std::move(error));
    }
}

}  // namespace ringoverbot::net::client_detail
