// How many calls per second the call directory sustains on one redis-server: each call is the
// directory's whole life of a call (claim when its stream opens, one webhook routed to it,
// release when it ends), with the exact scripts of net/server/directory_protocol, pipelined
// over one connection as the instances' loops do. The bench starts its own redis-server on a
// free loopback port (no persistence) and stops it by its pid; without redis-server it is
// skipped. Figures: items_per_second = calls/s; README §Several instances quotes them.
#include <benchmark/benchmark.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/server/directory_protocol.hpp"

extern char** environ;

namespace {

using namespace ringoverbot::net::directory;

int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), len);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

struct RedisServer {
    pid_t pid = -1;
    int port = 0;
    redisContext* c = nullptr;

    bool start() {
        port = free_port();
        const std::string p = std::to_string(port);
        std::vector<std::string> args = {"redis-server", "--port",    p,          "--bind",
                                         "127.0.0.1",    "--save",    "",         "--appendonly",
                                         "no",           "--logfile", "/dev/null"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ) != 0)
            return false;
        for (int i = 0; i < 500 && c == nullptr; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            redisContext* t = redisConnect("127.0.0.1", port);
            if (t != nullptr && t->err == 0) {
                c = t;
            } else if (t != nullptr) {
                redisFree(t);
            }
        }
        return c != nullptr;
    }
    ~RedisServer() {
        if (c != nullptr) redisFree(c);
        if (pid > 0) {
            kill(pid, SIGTERM);
            waitpid(pid, nullptr, 0);
        }
    }
};

void append(redisContext* c, const Command& cmd) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : cmd) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
}

// claim on instance A, a webhook to B routed to A, release on A; `batch` calls pipelined.
void BM_DirectoryCallLife(benchmark::State& state) {
    RedisServer redis;
    if (!redis.start()) {
        state.SkipWithError("redis-server not available");
        return;
    }
    Settings a, b;
    a.instance_id = "bench-a";
    b.instance_id = "bench-b";
    const auto batch = static_cast<int>(state.range(0));
    for (Settings* s : {&a, &b}) {  // both alive, as instances heartbeat
        append(redis.c, heartbeat_command(*s));
        void* r = nullptr;
        redisGetReply(redis.c, &r);
        freeReplyObject(r);
    }
    std::uint64_t next = 0;
    bool ok = true;
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            const std::string call = std::to_string(++next);
            append(redis.c, claim_command(a, call));
            append(redis.c,
                   route_command(b, CallEvent{call, "hangup"}, dedup_key(call, "hangup", call)));
            append(redis.c, release_command(a, call));
        }
        for (int i = 0; i < batch * 3; ++i) {
            void* r = nullptr;
            if (redisGetReply(redis.c, &r) != REDIS_OK) ok = false;
            if (r != nullptr && static_cast<redisReply*>(r)->type == REDIS_REPLY_ERROR) ok = false;
            freeReplyObject(r);
        }
    }
    if (!ok) state.SkipWithError("a directory command failed");
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_DirectoryCallLife)->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
