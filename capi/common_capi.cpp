// Version, result codes, memory and struct sizes: the parts of the C ABI no layer owns.
#include <cstdlib>
#include <string>

#include "guard.hpp"
#include "ringoverbot.h"

namespace ringoverbot::capi {
namespace {
thread_local std::string last_error;
}

void set_last_error(std::string_view message) noexcept {
    try {
        last_error.assign(message);
    } catch (...) {
        last_error.clear();  // out of memory: an empty detail beats none at all
    }
}

}  // namespace ringoverbot::capi

extern "C" {

ROB_API uint32_t rob_version_num(void) {
    return ROB_VERSION_NUM;
}
ROB_API const char* rob_version_string(void) {
    return ROB_VERSION_STRING;
}
ROB_API int rob_abi_version(void) {
    return ROB_ABI_VERSION;
}

ROB_API const char* rob_strerror(int code) {
    if (code == ROB_DONE) return "done";
    const char* name = ringoverbot::errc_name(static_cast<ringoverbot::Errc>(code));
    return name;
}

ROB_API int rob_is_fatal(int code) {
    return code <= ROB_ERR_FATAL ? 1 : 0;
}

ROB_API const char* rob_last_error_message(void) {
    return ringoverbot::capi::last_error.c_str();
}

ROB_API void rob_free(void* p) {
    std::free(p);
}

ROB_API size_t rob_struct_size(int which) {
    switch (which) {
        case ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS:
            return sizeof(rob_webhook_verifier_params);
        case ROB_STRUCT_WEBHOOK_REQUEST:
            return sizeof(rob_webhook_request);
        case ROB_STRUCT_STREAM_DECODER_PARAMS:
            return sizeof(rob_stream_decoder_params);
        case ROB_STRUCT_STREAM_EVENT:
            return sizeof(rob_stream_event);
        case ROB_STRUCT_STT_OPTIONS:
            return sizeof(rob_stt_options);
        case ROB_STRUCT_STT_PROVIDER_VTABLE:
            return sizeof(rob_stt_provider_vtable);
        case ROB_STRUCT_LLM_MESSAGE:
            return sizeof(rob_llm_message);
        case ROB_STRUCT_LLM_REQUEST:
            return sizeof(rob_llm_request);
        case ROB_STRUCT_LLM_PROVIDER_VTABLE:
            return sizeof(rob_llm_provider_vtable);
        case ROB_STRUCT_TTS_REQUEST:
            return sizeof(rob_tts_request);
        case ROB_STRUCT_TTS_PROVIDER_VTABLE:
            return sizeof(rob_tts_provider_vtable);
        case ROB_STRUCT_POCKETSPHINX_PARAMS:
            return sizeof(rob_pocketsphinx_params);
        case ROB_STRUCT_FLITE_PARAMS:
            return sizeof(rob_flite_params);
        case ROB_STRUCT_PROVIDERS:
            return sizeof(rob_providers);
        case ROB_STRUCT_CALL_PARAMS:
            return sizeof(rob_call_params);
        case ROB_STRUCT_ACTION:
            return sizeof(rob_action);
        case ROB_STRUCT_TURN_METRICS:
            return sizeof(rob_turn_metrics);
        case ROB_STRUCT_CALL_COUNTERS:
            return sizeof(rob_call_counters);
        case ROB_STRUCT_SERVER_PARAMS:
            return sizeof(rob_server_params);
        case ROB_STRUCT_SERVER_COUNTERS:
            return sizeof(rob_server_counters);
        case ROB_STRUCT_CLOUD_CLIENT_PARAMS:
            return sizeof(rob_cloud_client_params);
        case ROB_STRUCT_OPENAI_LLM_PARAMS:
            return sizeof(rob_openai_llm_params);
        case ROB_STRUCT_DEEPGRAM_STT_PARAMS:
            return sizeof(rob_deepgram_stt_params);
        case ROB_STRUCT_OPENAI_STT_PARAMS:
            return sizeof(rob_openai_stt_params);
        case ROB_STRUCT_ELEVENLABS_TTS_PARAMS:
            return sizeof(rob_elevenlabs_tts_params);
        case ROB_STRUCT_OPENAI_TTS_PARAMS:
            return sizeof(rob_openai_tts_params);
        case ROB_STRUCT_RINGOVER_API_PARAMS:
            return sizeof(rob_ringover_api_params);
        case ROB_STRUCT_WORKERS_PARAMS:
            return sizeof(rob_workers_params);
        default:
            return 0;
    }
}

}  // extern "C"
