// Per-core worker processes on one port (examples/ringoverbot-agent.md §Workers): a supervisor
// forks N workers; each builds its own providers and net::Server (its own loop, threads and TLS
// contexts) and listens on the shared address with SO_REUSEPORT, so the kernel spreads new
// connections over them. The supervisor restarts a worker that dies, and on SIGTERM/SIGINT asks
// every worker to drain, then returns once they all have ended.
//
//   net::WorkersConfig wc;  wc.count = 0;  wc.port = 8765;        // 0 = one per core
//   auto run = net::run_workers(wc);                             // forks; returns in each worker
//   if (!run) return fail(run.error());
//   if (!run->worker) return run->exit_code;                     // the supervisor, all ended
//   net::ServerConfig cfg;  cfg.worker = run->worker;  cfg.port = run->worker->port();
//   ... make the providers, Server::create(cfg, providers), run() ...
//
// Fork safety: call run_workers before the process starts any thread, event loop or TLS
// context (a provider's worker pool, a cloud client, a Python thread): the supervisor forks
// again whenever it restarts a worker, and a child gets only the forking thread. The workers
// share nothing but the listening port and a small shared-memory board of counters, from which
// any worker answers /health and /metrics for the whole group (see ServerConfig::worker).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"
#include "ringoverbot/log.hpp"

namespace ringoverbot::net {

struct WorkersConfig {
    unsigned count = 1;              // worker processes; 0 = one per core (available_cores())
    std::string host = "127.0.0.1";  // the address the workers share (an IP literal)
    std::uint16_t port = 8765;       // 0 = a free port, chosen once for every worker
    // A dead worker is restarted after this delay; the delay doubles (up to 30 s) while workers
    // die within 10 s of their start, so a worker that cannot start does not spin.
    double restart_delay_s = 0.5;
    // After the stop signal, workers still running this long are killed (SIGKILL). Set it above
    // the server's drain_timeout_s.
    double stop_timeout_s = 60;
    LogSink log;  // the supervisor's own lines (worker_started, worker_exited, ...); unset = stderr
    LogLevel min_level = LogLevel::info;
};

// One worker process's seat in its group: handed to ServerConfig::worker.
class RINGOVERBOT_API Worker {
  public:
    struct Impl;
    explicit Worker(std::unique_ptr<Impl> impl);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    unsigned index() const noexcept;  // 0..count()-1; a restarted worker keeps its index
    unsigned count() const noexcept;  // the workers of the group
    const std::string& host() const noexcept;
    std::uint16_t port() const noexcept;  // the shared port (chosen by the supervisor for port 0)
    const Impl& impl() const noexcept { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
};

struct WorkersRun {
    // Set in a worker process: serve with it, then return from main (or _exit): never return
    // into code the supervisor would have run.
    std::shared_ptr<const Worker> worker;
    // In the supervisor, once every worker has ended after a stop signal: 0 when each one's
    // last run exited 0, else 1.
    int exit_code = 0;
};

// Binds the shared address first (so "port in use" is an error here, before any fork: io),
// then forks the workers and supervises them until SIGTERM/SIGINT. invalid_argument for a bad
// setting. SIGTERM/SIGINT/SIGCHLD are blocked in the supervisor while it runs; a worker starts
// with the caller's signal mask and dispositions.
RINGOVERBOT_API Result<WorkersRun> run_workers(const WorkersConfig& config);

// The cores this process may run on (its CPU affinity), at least 1.
RINGOVERBOT_API unsigned available_cores() noexcept;

}  // namespace ringoverbot::net
