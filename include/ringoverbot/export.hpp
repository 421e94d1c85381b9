// Symbol visibility for the public C++ API: the library is built with -fvisibility=hidden, so
// everything a host may use from include/ringoverbot/ is marked with RINGOVERBOT_API.
#pragma once

#if defined(ROB_STATIC)
#define RINGOVERBOT_API
#elif defined(_WIN32)
#if defined(ROB_BUILDING)
#define RINGOVERBOT_API __declspec(dllexport)
#else
#define RINGOVERBOT_API __declspec(dllimport)
#endif
#else
#define RINGOVERBOT_API __attribute__((visibility("default")))
#endif
