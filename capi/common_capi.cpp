// Version, result codes, memory and struct sizes: the parts of the C ABI no layer owns.
#include <cstdlib>

#include "guard.hpp"
#include "ringoverbot.h"

extern "C" {

ROB_API uint32_t rob_version_num(void) { return ROB_VERSION_NUM; }
ROB_API const char* rob_version_string(void) { return ROB_VERSION_STRING; }
ROB_API int rob_abi_version(void) { return ROB_ABI_VERSION; }

ROB_API const char* rob_strerror(int code) {
    if (code == ROB_DONE) return "done";
    const char* name = ringoverbot::errc_name(static_cast<ringoverbot::Errc>(code));
    return name;
}

ROB_API int rob_is_fatal(int code) { return code <= ROB_ERR_FATAL ? 1 : 0; }

ROB_API void rob_free(void* p) { std::free(p); }

ROB_API size_t rob_struct_size(int which) {
    switch (which) {
        case ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS: return sizeof(rob_webhook_verifier_params);
        case ROB_STRUCT_WEBHOOK_REQUEST: return sizeof(rob_webhook_request);
        case ROB_STRUCT_STREAM_DECODER_PARAMS: return sizeof(rob_stream_decoder_params);
        case ROB_STRUCT_STREAM_EVENT: return sizeof(rob_stream_event);
        default: return 0;
    }
}

}  // extern "C"
