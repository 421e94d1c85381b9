#include "net/server/call_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ringoverbot::net {

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
