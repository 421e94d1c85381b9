// Writing the files a call leaves in ServerConfig::recording_dir beside its recording (named by
// recording::file_stem, ringoverbot/recording.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringoverbot/error.hpp"

namespace ringoverbot::net {

// Writes `content` to dir/name through a temporary file renamed into place: a reader never
// sees half a file. io with the system's reason when it fails.
Status write_call_file(const std::string& dir, const std::string& name, std::string_view content);

}  // namespace ringoverbot::net
