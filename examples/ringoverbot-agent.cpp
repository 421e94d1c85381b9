// ringoverbot-agent: the whole voice agent as one process (spec/host.md). One port serves the
// Ringover streamer WebSocket, the webhook endpoint, /health and /metrics; the local engines
// (pocketsphinx, the scripted dialog, flite) need no key and no network.
//
// Exit status: 0 after SIGINT/SIGTERM once the live calls are drained, 1 on a runtime failure
// (the port is in use, an engine cannot start), 2 on bad flags, config or dialog.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/sentence_chunker.hpp"
#include "net/host_config.hpp"
#include "ringoverbot.h"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/server.hpp"

namespace {

using namespace ringoverbot;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int fail(int code, const std::string& message) {
    // The same JSON-lines format as the server's own log.
    const double now_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::fprintf(stderr,
                 "{\"ts\":%.3f,\"level\":\"info\",\"event\":\"tts_cache\",\"hits\":%llu,"
                 "\"misses\":%llu,\"bytes\":%zu}\n",
                 now_s, static_cast<unsigned long long>(tts->hits()),
                 static_cast<unsigned long long>(tts->misses()), tts->cached_bytes());
    if (!ran) return fail(kExitRuntime, ran.error().message);
    return 0;
}
