// Call recordings (README §Call recordings): where a call's files go and how they are named.
// One stem per call, shared by every file written about it: `<stem>.opus` (the stereo Ogg Opus
// recording) and any companion (`<stem>.svg`, ...) next to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ringoverbot/export.hpp"

namespace ringoverbot::recording {

// "<call id>-<YYYYmmddTHHMMSSZ>" from the call id and the call's start (Unix seconds, UTC).
// The call id keeps [A-Za-z0-9._-] (anything else becomes '_'; no leading '.'), at most 64
// characters; an empty id is "call".
RINGOVERBOT_API std::string file_stem(std::string_view call_id, std::int64_t start_unix_s);

// dir + "/" + file_stem(...) + extension (extension with its dot: ".opus", ".svg").
RINGOVERBOT_API std::string file_path(std::string_view dir, std::string_view call_id,
                                      std::int64_t start_unix_s, std::string_view extension);

}  // namespace ringoverbot::recording
