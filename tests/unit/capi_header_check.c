/* Compiled as strict C99: the public header must not contain C++-isms. */
#include "ringoverbot.h"

int rob_header_check(void) {
    return ROB_OK + (int)sizeof(rob_stream_event) + (int)sizeof(rob_cloud_client_params) +
           (int)sizeof(rob_openai_llm_params) + (int)sizeof(rob_deepgram_stt_params) +
           (int)sizeof(rob_openai_stt_params) + (int)sizeof(rob_elevenlabs_tts_params) +
           (int)sizeof(rob_openai_tts_params) + (int)sizeof(rob_server_params);
}
