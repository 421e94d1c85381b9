#include "net/server/call_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ringoverbot::net {

std::string call_file_stem(std::string_view call_id, std::uint64_t stream,
                           std::int64_t start_unix_s) {
    std::string stem;
    for (const char c : call_id.substr(0, 64)) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_';
        stem.push_back(safe ? c : '_');
    }
    if (stem.empty()) stem = "stream-" + std::to_string(stream);
    const std::time_t t = static_cast<std::time_t>(start_unix_s);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char when[32];
    const std::size_t n = std::strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &utc);
    stem += '-';
    stem.append(when, n);
    return stem;
}

Status write_call_file(const std::string& dir, const std::string& name, std::string_view content) {
    const std::string path = dir + "/" + name;
    const std::string tmp = path + ".part";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return Error{Errc::io, tmp + ": " + std::strerror(errno)};
    const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed) {
        std::remove(tmp.c_str());
        return Error{Errc::io, path + ": " + std::strerror(written ? errno : write_errno)};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        std::remove(tmp.c_str());
        return Error{Errc::io, path + ": " + std::strerror(e)};
    }
    return {};
}

}  // namespace ringoverbot::net
