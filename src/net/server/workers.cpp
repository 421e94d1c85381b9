// The supervisor of a worker group (include/ringoverbot/workers.hpp). It stays single-threaded
// and owns no loop, thread or TLS state, so that it can fork a clean worker at any time: it only
// holds the shared address (bound, never listening: the kernel gives connections to listening
// sockets only), the shared board, and a signal mask it waits on with sigtimedwait.
#include "ringoverbot/workers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "net/log.hpp"
#include "net/server/shared_listener.hpp"
#include "net/server/worker_board.hpp"

namespace ringoverbot::net {

unsigned available_cores() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<unsigned>(n);
    }
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1u;
}

namespace {

constexpr unsigned kMaxWorkers = 1024;
constexpr double kYoungWorkerS = 10;  // a worker dying sooner backs the restarts off
constexpr double kMaxRestartDelayS = 30;

double mono_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// The shared address, bound with SO_REUSEPORT like every worker's listener: it keeps the port
// (also a port 0 picked here) for the group while workers come and go, and a port held by
// another program fails here, before any fork.
class ReservedPort {
  public:
    static Result<ReservedPort> bind_shared(const std::string& host, std::uint16_t port) {
        auto ip = ip_address(host, port);
        if (!ip)
            return Error{Errc::invalid_argument,
                         "workers: host '" + host + "' is not an IP address"};
        auto& [ss, len, family] = *ip;
        ReservedPort r;
        r.fd_ = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (r.fd_ < 0) return Error{Errc::io, std::string("socket: ") + std::strerror(errno)};
        const int one = 1;
        setsockopt(r.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(r.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        const std::string where =
            (family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
        if (bind(r.fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
            return Error{Errc::io, "cannot listen on " + where + ": " + std::strerror(errno)};
        if (getsockname(r.fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
            return Error{Errc::io, "cannot listen on " + where + ": " + std::strerror(errno)};
        r.port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        return r;
    }
    ReservedPort() = default;
    ReservedPort(ReservedPort&& o) noexcept : fd_(o.fd_), port_(o.port_) { o.fd_ = -1; }
    ReservedPort& operator=(ReservedPort&& o) noexcept {
        std::swap(fd_, o.fd_);
        std::swap(port_, o.port_);
        return *this;
    }
    ~ReservedPort() {
        if (fd_ >= 0) close(fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

struct Seat {
    pid_t pid = 0;
    double started_s = 0;
    double restart_at_s = -1;  // < 0: none pending
    double next_delay_s = 0;
    bool failed = false;  // its last run ended otherwise than exit 0
};

// The signals the supervisor waits for, blocked while it runs; the caller's mask comes back
// when run_workers returns, in the supervisor and in every worker.
class BlockedSignals {
  public:
    BlockedSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
        // SIGCHLD ignored would reap the workers behind our back (no status to wait for).
        struct sigaction now {};
        sigaction(SIGCHLD, nullptr, &now);
        if (now.sa_handler == SIG_IGN) {
            old_chld_ = now;
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            sigaction(SIGCHLD, &dfl, nullptr);
        }
    }
    ~BlockedSignals() { restore(); }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    void restore() {
        if (restored_) return;
        restored_ = true;
        if (old_chld_) sigaction(SIGCHLD, &*old_chld_, nullptr);
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    // The next signal within `timeout_s`, or 0.
    int wait(double timeout_s) {
        timeout_s = std::clamp(timeout_s, 0.0, 1.0);  // also polls waitpid once a second
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(timeout_s);
        ts.tv_nsec = static_cast<long>((timeout_s - std::floor(timeout_s)) * 1e9);
        siginfo_t info{};
        const int sig = sigtimedwait(&set_, &info, &ts);
        return sig > 0 ? sig : 0;
    }

  private:
    sigset_t set_{}, old_{};
    std::optional<struct sigaction> old_chld_;
    bool restored_ = false;
};

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* name = sigabbrev_np(WTERMSIG(status));
        return std::string("signal ") + (name != nullptr ? name : std::to_string(WTERMSIG(status)));
    }
    return "status " + std::to_string(status);
}

class Supervisor {
  public:
    Supervisor(const WorkersConfig& c, unsigned count, ReservedPort port,
               std::shared_ptr<WorkerBoard> board)
        : config_(c),
          logger_(c.log, c.min_level),
          port_(std::move(port)),
          board_(std::move(board)),
          seats_(count),
          self_(getpid()) {
        for (Seat& s : seats_) s.next_delay_s = c.restart_delay_s;
    }

    // Returns in a worker (worker set) or, in the supervisor, once all have ended.
    Result<WorkersRun> run() {
        LogLine(logger_, LogLevel::info, "workers_starting")
            .unum("workers", seats_.size())
            .str("host", config_.host)
            .unum("port", port_.port())
            .num("supervisor_pid", self_);
        for (unsigned i = 0; i < seats_.size(); ++i)
            if (auto w = spawn(i)) return std::move(*w);
        while (true) {
            reap();
            if (stopping_ && live() == 0) break;
            const double now = mono_s();
            if (stopping_ && !killed_ && now >= stop_deadline_s_) kill_all(SIGKILL);
            double next = now + 1.0;
            if (!stopping_) {
                for (unsigned i = 0; i < seats_.size(); ++i) {
                    Seat& s = seats_[i];
                    if (s.pid != 0 || s.restart_at_s < 0) continue;
                    if (s.restart_at_s <= now) {
                        s.restart_at_s = -1;
                        if (auto w = spawn(i)) return std::move(*w);
                    } else {
                        next = std::min(next, s.restart_at_s);
                    }
                }
            } else if (!killed_) {
                next = std::min(next, stop_deadline_s_);
            }
            const int sig = signals_.wait(next - mono_s());
            if (sig == SIGINT || sig == SIGTERM) on_stop_signal(sig);
        }
        bool ok = true;
        for (const Seat& s : seats_) ok = ok && !s.failed;
        LogLine(logger_, LogLevel::info, "workers_stopped").flag("clean", ok);
        return WorkersRun{nullptr, ok ? 0 : 1};
    }

  private:
    unsigned live() const {
        unsigned n = 0;
        for (const Seat& s : seats_) n += s.pid != 0 ? 1 : 0;
        return n;
    }

    // In the child: the worker's seat. In the supervisor: nullopt (also when fork fails: the
    // seat is retried like a worker that died).
    std::optional<WorkersRun> spawn(unsigned i) {
        Seat& s = seats_[i];
        WorkerSlot& slot = board_->slot(i);
        const pid_t pid = fork();
        if (pid == 0) {
            // The worker: its own process group (a terminal's Ctrl-C reaches the supervisor,
            // which forwards one SIGTERM), a SIGTERM of its own when the supervisor dies, and
            // the caller's signal mask back.
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != self_) _exit(1);  // the supervisor died before prctl
            port_ = ReservedPort();
            signals_.restore();
            slot.pid.store(static_cast<std::int32_t>(getpid()));
            slot.ready.store(0);
            slot.draining.store(0);
            auto impl = std::make_unique<Worker::Impl>();
            impl->index = i;
            impl->host = config_.host;
            impl->port = port_for_workers_;
            impl->board = board_;
            return WorkersRun{std::make_shared<Worker>(std::move(impl)), 0};
        }
        const double now = mono_s();
        if (pid < 0) {
            LogLine(logger_, LogLevel::error, "worker_fork_failed")
                .unum("worker", i)
                .str("error", std::strerror(errno));
            schedule_restart(s, now);
            return std::nullopt;
        }
        s.pid = pid;
        s.started_s = now;
        slot.pid.store(static_cast<std::int32_t>(pid));
        slot.starts.fetch_add(1);
        LogLine(logger_, LogLevel::info, "worker_started").unum("worker", i).num("pid", pid);
        return std::nullopt;
    }

    void schedule_restart(Seat& s, double now) {
        if (now - s.started_s >= kYoungWorkerS) s.next_delay_s = config_.restart_delay_s;
        s.restart_at_s = now + s.next_delay_s;
        s.next_delay_s =
            std::min(std::max(s.next_delay_s * 2, config_.restart_delay_s), kMaxRestartDelayS);
    }

    void reap() {
        while (true) {
            int status = 0;
            const pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0) return;
            for (unsigned i = 0; i < seats_.size(); ++i) {
                Seat& s = seats_[i];
                if (s.pid != pid) continue;
                s.pid = 0;
                s.failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                WorkerSlot& slot = board_->slot(i);
                slot.pid.store(0);
                slot.ready.store(0);
                slot.draining.store(0);
                // Its calls died with it; its counters stay in the group's totals.
                slot.metrics.calls_active.store(0);
                const double now = mono_s();
                LogLine(logger_, stopping_ ? LogLevel::info : LogLevel::warn, "worker_exited")
                    .unum("worker", i)
                    .num("pid", pid)
                    .str("status", describe_status(status))
                    .real("uptime_s", std::round((now - s.started_s) * 10) / 10)
                    .flag("restart", !stopping_);
                if (!stopping_) schedule_restart(s, now);
            }
        }
    }

    void on_stop_signal(int sig) {
        if (!stopping_) {
            stopping_ = true;
            stop_deadline_s_ = mono_s() + config_.stop_timeout_s;
            LogLine(logger_, LogLevel::info, "workers_draining")
                .str("signal", sig == SIGINT ? "SIGINT" : "SIGTERM")
                .unum("workers", live());
        }
        // A second signal is forwarded too: the workers then skip the rest of their drain.
        kill_all(SIGTERM);
    }

    void kill_all(int sig) {
        if (sig == SIGKILL) {
            killed_ = true;
            LogLine(logger_, LogLevel::warn, "workers_stop_timeout").unum("workers", live());
        }
        for (const Seat& s : seats_)
            if (s.pid != 0) kill(s.pid, sig);
    }

    const WorkersConfig& config_;
    Logger logger_;
    ReservedPort port_;
    std::uint16_t port_for_workers_ = port_.port();
    std::shared_ptr<WorkerBoard> board_;
    std::vector<Seat> seats_;
    BlockedSignals signals_;
    pid_t self_;
    bool stopping_ = false;
    bool killed_ = false;
    double stop_deadline_s_ = 0;
};

}  // namespace

Result<WorkersRun> run_workers(const WorkersConfig& config) {
    const unsigned count = config.count == 0 ? available_cores() : config.count;
    if (count > kMaxWorkers)
        return Error{Errc::invalid_argument, "workers: at most " + std::to_string(kMaxWorkers)};
    if (!(config.restart_delay_s >= 0 && config.restart_delay_s <= 3600))
        return Error{Errc::invalid_argument, "workers: restart_delay_s must be within 0..3600"};
    if (!(config.stop_timeout_s > 0 && config.stop_timeout_s <= 86400))
        return Error{Errc::invalid_argument, "workers: stop_timeout_s must be within 0..86400"};
    auto port = ReservedPort::bind_shared(config.host, config.port);
    if (!port) return port.error();
    auto board = WorkerBoard::create(count);
    if (!board) return board.error();
    // Anything buffered now would be written once by every child as well.
    std::fflush(nullptr);
    Supervisor supervisor(config, count, std::move(*port), std::move(*board));
    return supervisor.run();
}

}  // namespace ringoverbot::net
