// The files a call leaves in ServerConfig::recording_dir: named <stem>.<ext> with one stem per
// call, "<call_id>-<YYYYmmddTHHMMSSZ>" (the call's id, made safe for a file name, and its start
// in UTC), so that a call's recording and its timeline sit side by side.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net {

// `call_id` keeps its letters, digits, '-' and '_' (anything else becomes '_', at most 64);
// an empty id becomes "stream-<stream>". `start_unix_s` is the call's start (Unix seconds).
std::string call_file_stem(std::string_view call_id, std::uint64_t stream,
                           std::int64_t start_unix_s);

// Writes `content` to dir/name through a temporary file renamed into place: a reader never
// sees half a file. io with the system's reason when it fails.
Status write_call_file(const std::string& dir, const std::string& name, std::string_view content);

}  // namespace ringoverbot::net
