// DNS for the cloud client. getaddrinfo blocks, so names are resolved on threads of their
// own, never on the loop; each answer is handed to a callback (which posts it to the loop).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ringoverbot::net::client_detail {

// True for an IPv4 or IPv6 address (nothing to resolve).
bool is_ip_literal(const std::string& host);
// {address, ""} or {"", error}; IPv4 first: a dual-stack name is reached the way most servers
// listen. Blocks.
std::pair<std::string, std::string> resolve_name(const std::string& host);

class Resolver {
  public:
    // Called on a resolver thread with the request's id and attempt, and either the address or
    // the error (the other one empty).
    using Done = std::function<void(std::uint64_t id, std::uint32_t attempt, std::string address,
                                    std::string error)>;
    explicit Resolver(Done done) : done_(std::move(done)) {}
    ~Resolver() { stop(); }
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    void start(std::size_t threads);
    // Any thread. The answer comes through Done, unless stop() came first.
    void resolve(std::uint64_t id, std::uint32_t attempt, std::string host);
    // Drops the names not yet taken and joins the threads (detaches the calling one).
    void stop();

  private:
    struct Task {
        std::uint64_t id;
        std::uint32_t attempt;
        std::string host;
    };
    void run();

    const Done done_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ringoverbot::net::client_detail
