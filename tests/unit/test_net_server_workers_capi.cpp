// The worker group through the C ABI: defaults, refusals before any fork, the server's seat
// field.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "ringoverbot.h"

TEST_CASE("capi workers: params defaults, struct size, refusals before any fork") {
    rob_workers_params p;
    rob_workers_params_init(&p, sizeof p);
    CHECK(p.struct_size == sizeof p);
    CHECK(rob_struct_size(ROB_STRUCT_WORKERS_PARAMS) == sizeof(rob_workers_params));
    CHECK(p.count == 1);
    CHECK(p.port == 8765);
    CHECK(p.host == nullptr);
    CHECK(p.restart_delay_s == doctest::Approx(0.5));
    CHECK(p.stop_timeout_s == doctest::Approx(60));
    CHECK(p.min_log_level == ROB_LOG_INFO);

    rob_worker* w = reinterpret_cast<rob_worker*>(&p);  // must be overwritten
    int code = -7;
    CHECK(rob_workers_run(&p, nullptr, &code) == ROB_ERR_INVALID_ARGUMENT);
    p.port = 70000;
    CHECK(rob_workers_run(&p, &w, &code) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(w == nullptr);
    CHECK(std::string(rob_last_error_message()).find("port") != std::string::npos);
    p.port = 8765;
    p.host = "bot.example.fr";
    CHECK(rob_workers_run(&p, &w, &code) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("not an IP address") != std::string::npos);

    // A port held without SO_REUSEPORT: ROB_ERR_IO, nothing forked.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    p.host = "127.0.0.1";
    p.port = ntohs(a.sin_port);
    p.count = 2;
    CHECK(rob_workers_run(&p, &w, &code) == ROB_ERR_IO);
    CHECK(std::string(rob_last_error_message()).find("in use") != std::string::npos);
    close(fd);

    CHECK(rob_worker_index(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_worker_port(nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_worker_host(nullptr) == nullptr);
    rob_worker_destroy(nullptr);
    CHECK(rob_available_cores() >= 1);

    rob_server_params sp;
    rob_server_params_init(&sp, sizeof sp);
    CHECK(sp.worker == nullptr);  // a lone server by default
}
