#include "ringoverbot/error.hpp"

namespace ringoverbot {

const char* errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::ok: return "ok";
        case Errc::invalid_argument: return "invalid argument";
        case Errc::buffer_too_small: return "buffer too small";
        case Errc::invalid_state: return "invalid state";
        case Errc::unsupported: return "unsupported";
        case Errc::not_found: return "not found";
        case Errc::io: return "i/o error";
        case Errc::protocol: return "protocol error";
        case Errc::bad_json: return "bad JSON";
        case Errc::bad_base64: return "bad base64";
        case Errc::bad_audio: return "bad audio";
        case Errc::too_large: return "too large";
        case Errc::codec: return "codec error";
        case Errc::bad_wav: return "bad WAV file";
        case Errc::provider_failed: return "provider failed";
        case Errc::timeout: return "timed out";
        case Errc::canceled: return "canceled";
        case Errc::fatal: return "fatal error";
        case Errc::nomem: return "out of memory";
        case Errc::internal: return "internal error";
    }
    return "unknown error";
}

}  // namespace ringoverbot
