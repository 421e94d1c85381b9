// The names and the writing of a call's files in recording_dir.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/server/call_files.hpp"
#include "ringoverbot/recording.hpp"

using namespace ringoverbot;

TEST_CASE("call files: one stem per call, the call id made safe, then the start in UTC") {
    // 2026-01-01T09:03:10Z
    CHECK(recording::file_stem("7000001234567890000", 1767258190) ==
          "7000001234567890000-20260101T090310Z");
    // A peer's id never leaves the directory nor hides a file.
    const std::string up = recording::file_stem("../../etc/passwd", 0);
    CHECK(up.find('/') == std::string::npos);
    CHECK(up.front() != '.');
    CHECK(recording::file_stem(".hidden", 0) == "_hidden-19700101T000000Z");
    CHECK(recording::file_stem("", 0) == "call-19700101T000000Z");
    CHECK(recording::file_stem(std::string(500, 'a'), 0).size() == 64 + 17);
    CHECK(recording::file_path("/d", "c", 0, ".svg") == "/d/c-19700101T000000Z.svg");
}

TEST_CASE("call files: written whole, or an io error naming the path") {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("rob-call-files-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    REQUIRE(net::write_call_file(dir.string(), "a.svg", "<svg/>\n").ok());
    std::ifstream in(dir / "a.svg");
    std::stringstream got;
    got << in.rdbuf();
    CHECK(got.str() == "<svg/>\n");
    CHECK_FALSE(fs::exists(dir / "a.svg.part"));

    const Status missing = net::write_call_file((dir / "nowhere").string(), "a.svg", "x");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.code() == Errc::io);
    CHECK(missing.error().message.find("nowhere/a.svg") != std::string::npos);
    fs::remove_all(dir);
}
