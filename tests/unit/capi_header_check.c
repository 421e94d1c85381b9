/* Compiled as strict C99: the public header must not contain C++-isms. */
#include "ringoverbot.h"

int rob_header_check(void) { return ROB_OK + (int)sizeof(rob_stream_event); }
