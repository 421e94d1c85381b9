// ringoverbot-agent (examples/ringoverbot-agent.md): the whole voice agent as one process. One port
// serves the Ringover streamer WebSocket, the webhook endpoint, /health and /metrics; the local
// engines (pocketsphinx, the scripted dialog, flite) need no key and no network.
//
// With --workers N the process is a supervisor of N such workers (ringoverbot/workers.hpp).
// Exit status: 0 after SIGINT/SIGTERM once the live calls are drained, 1 on a runtime failure
// (the port is in use, an engine cannot start), 2 on bad flags, config or dialog.
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>

#include <atomic>
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

#include "agent/heap_trimmer.hpp"
#include "agent/host_config.hpp"
#include "ringoverbot.h"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/ringover_api.hpp"
#include "ringoverbot/server.hpp"
#include "ringoverbot/workers.hpp"

namespace {

using namespace ringoverbot;

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "ringoverbot-agent: %s\n", message.c_str());
    return code;
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{Errc::io, "cannot open the file"};
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) return Error{Errc::io, "cannot read the file"};
    return buf.str();
}

// The bundled demo dialog: installed beside the program (../share/ringoverbot/), else the copy
// in the source tree this program was built from.
std::string bundled_dialog(const char* argv0) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const fs::path base = ec ? fs::path(argv0).parent_path() : exe.parent_path();
    const fs::path installed = base / ".." / "share" / "ringoverbot" / "demo-dialog.json";
    if (fs::exists(installed, ec)) return installed.string();
#ifdef ROB_DEMO_DIALOG
    return ROB_DEMO_DIALOG;
#else
    return (fs::path(__FILE__).parent_path() / "demo-dialog.json").string();
#endif
}

// The system prompt of a cloud LLM when the config gives none: a phone agent of few words that
// uses the call's tools, told the dialog's greeting so it knows whose line it answers.
std::string default_system_prompt(const providers::DialogSummary& dialog) {
    return "You are a voice agent answering a phone call. Your first words to the caller were: \"" +
           dialog.greeting +
           "\" Answer in one or two short spoken sentences, with no lists, no markdown and no "
           "emojis. When the caller asks for a person or a department, say you are putting them "
           "through and call transfer_call. To dial an extension, call send_digits. When the "
           "caller says goodbye, say goodbye and call end_call.";
}

// SIGINT/SIGTERM are blocked in every thread and taken by one waiting thread, which asks the
// server to stop: no work at all happens in a signal handler.
class SignalWaiter {
  public:
    SignalWaiter() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any other thread exists
    }
    void start(net::Server& server) {
        thread_ = std::thread([this, &server] {
            int sig = 0;
            while (sigwait(&set_, &sig) == 0) {
                if (done_) return;
                server.request_stop();
            }
        });
    }
    ~SignalWaiter() {
        if (!thread_.joinable()) return;
        done_ = true;
        pthread_kill(thread_.native_handle(), SIGTERM);
        thread_.join();
    }

  private:
    sigset_t set_{};
    std::thread thread_;
    std::atomic<bool> done_{false};
};

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
    // A call's larger buffers (the echo canceller's filter and reference ring, ~150 KiB) live
    // only while the bot speaks. Served by mmap, they go back to the system when freed; from
    // glibc's heap they would stay in its free lists, and a silent call would keep the RSS of
    // its greeting (measured at 100 silent calls: 216 -> 149 KiB per call).
    mallopt(M_MMAP_THRESHOLD, 16 * 1024);
#endif
    std::vector<std::string_view> args(argv + 1, argv + argc);
    const agenthost::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
    auto parsed = agenthost::parse_host_options(args, env, read_file);
    if (!parsed) return fail(kExitUsage, parsed.error().message);
    agenthost::HostOptions& opt = *parsed;
    if (opt.help) {
        std::fputs(agenthost::host_usage().data(), stdout);
        return 0;
    }
    if (opt.version) {
        std::printf("ringoverbot-agent %s\n", rob_version_string());
        return 0;
    }
    // The dialog: the scripted LLM, the greeting, the recogniser's phrases, the cache's phrases.
    const std::string dialog_path =
        opt.dialog_path.empty() ? bundled_dialog(argv[0]) : opt.dialog_path;
    auto dialog_json = read_file(dialog_path);
    if (!dialog_json)
        return fail(kExitUsage, "--dialog " + dialog_path + ": " + dialog_json.error().message);
    auto summary = providers::describe_dialog(*dialog_json);
    if (!summary) return fail(kExitUsage, "dialog " + dialog_path + ": " + summary.error().message);
    auto scripted = providers::make_scripted_llm(*dialog_json);
    if (!scripted)
        return fail(kExitUsage, "dialog " + dialog_path + ": " + scripted.error().message);

    net::ServerConfig& cfg = opt.server;
    if (cfg.call.greeting.empty()) cfg.call.greeting = summary->greeting;
    if (cfg.call.fallback.empty()) cfg.call.fallback = summary->fallback;
    cfg.call.expected_phrases = summary->phrases;
    // The dialog's confirmation prompts and misunderstanding offer, unless the host's own
    // config changed them from the engine's defaults.
    const agent::CallConfig defaults;
    if (!summary->confirm_end.empty() && cfg.call.confirm_end_prompt == defaults.confirm_end_prompt)
        cfg.call.confirm_end_prompt = summary->confirm_end;
    if (!summary->confirm_transfer.empty() &&
        cfg.call.confirm_transfer_prompt == defaults.confirm_transfer_prompt)
        cfg.call.confirm_transfer_prompt = summary->confirm_transfer;
    if (!summary->reprompt.empty() && cfg.call.reprompt == defaults.reprompt)
        cfg.call.reprompt = summary->reprompt;
    if (!summary->idle_goodbye.empty() && cfg.call.idle_goodbye == defaults.idle_goodbye)
        cfg.call.idle_goodbye = summary->idle_goodbye;
    if (summary->has_misunderstood && cfg.call.misunderstood_say == defaults.misunderstood_say &&
        cfg.call.misunderstood_transfer == defaults.misunderstood_transfer) {
        cfg.call.misunderstood_say = summary->misunderstood_say;
        cfg.call.misunderstood_transfer = summary->misunderstood_transfer;
    }
    // The voice is the flite provider's own: a call's requests then carry no voice, and match
    // the cache's prewarmed entries.
    if (opt.webhook_clock) {
        const double fixed = *opt.webhook_clock;
        cfg.wall_clock = [fixed] { return fixed; };
    }

    // --workers: fork here, before any thread, loop or TLS context exists (the pool, the cloud
    // client, the server): every worker builds its own. The supervisor returns once all of
    // them have drained after SIGTERM/SIGINT.
    if (opt.worker_processes != 1) {
        net::WorkersConfig wc;
        wc.count = opt.worker_processes;
        wc.host = cfg.host;
        wc.port = cfg.port;
        wc.stop_timeout_s = cfg.drain_timeout_s + 10;  // the drain, then its 3 s of closing
        wc.min_level = cfg.min_level;
        auto run = net::run_workers(wc);
        if (!run) {
            const bool usage = run.error().code == Errc::invalid_argument;
            return fail(usage ? kExitUsage : kExitRuntime, run.error().message);
        }
        if (!run->worker) return run->exit_code;
        cfg.worker = run->worker;
        cfg.port = run->worker->port();
    }

    SignalWaiter signals;  // blocks the signals before the pool's threads start

    auto pool = providers::WorkerPool::create(opt.workers);
    providers::FliteOptions flite;
    flite.voice = opt.voice;
    auto flite_tts = providers::make_flite_tts(flite, pool);
    if (!flite_tts) return fail(kExitRuntime, "local TTS (flite): " + flite_tts.error().message);
    // The local voice, cached: the TTS of a local setup, and always the fallback voice (it
    // works when the cloud does not, and the fixed phrases start at once).
    auto local_tts = providers::CachedTts::create(*flite_tts);
    // The fixed phrases start playing at once: synthesise them before the first call, cut the
    // way a call asks for them (the greeting and fallback whole, replies sentence by sentence).
    std::vector<std::string> phrases{cfg.call.greeting,           cfg.call.fallback,
                                     cfg.call.confirm_end_prompt, cfg.call.confirm_transfer_prompt,
                                     cfg.call.misunderstood_say,  cfg.call.reprompt,
                                     cfg.call.idle_goodbye};
    if (opt.llm == "scripted")
        for (const auto& reply : summary->replies)
            for (auto& piece : agent::reply_sentences(reply)) phrases.push_back(std::move(piece));
    const std::uint32_t rate =
        cfg.call.output_sample_rate_hz != 0 ? cfg.call.output_sample_rate_hz : 8000;
    local_tts->prewarm(phrases, rate);

    // The cloud client, only when a cloud provider is chosen: one lws client loop for all.
    std::shared_ptr<providers::CloudClient> cloud;
    const bool rest = !opt.ringover.api_key.empty();
    if (opt.stt != "local" || opt.llm != "scripted" || opt.tts != "local" || rest) {
        opt.cloud.min_level = cfg.min_level;
        auto client = net::make_cloud_client(opt.cloud);
        if (!client) return fail(kExitUsage, "cloud client: " + client.error().message);
        cloud = *client;
        cfg.cloud_client = cloud;
    }

    // Ringover's REST API, when RINGOVER_API_KEY is set: on the same client, whose sockets the
    // server's loop services (so its answers reach the calls on that loop).
    if (rest) {
        auto api = ringover::RestClient::create(opt.ringover, cloud);
        if (!api) return fail(kExitUsage, api.error().message);
        cfg.ringover_api = *api;
    }

    agent::Providers engines;
    if (opt.stt == "deepgram") {
        auto stt = providers::make_deepgram_stt(opt.deepgram, cloud);
        if (!stt) return fail(kExitUsage, stt.error().message);
        engines.stt = *stt;
    } else if (opt.stt == "openai") {
        auto stt = providers::make_openai_stt(opt.openai_stt, cloud);
        if (!stt) return fail(kExitUsage, stt.error().message);
        engines.stt = *stt;
    } else {
        auto stt = providers::make_pocketsphinx_stt({}, pool);
        if (!stt) return fail(kExitRuntime, "local STT (pocketsphinx): " + stt.error().message);
        engines.stt = *stt;
    }
    if (opt.llm == "openai") {
        if (cfg.call.system_prompt.empty())
            cfg.call.system_prompt = default_system_prompt(*summary);
        auto llm = providers::make_openai_llm(opt.openai_llm, cloud);
        if (!llm) return fail(kExitUsage, llm.error().message);
        engines.llm = *llm;
    } else {
        engines.llm = *scripted;
    }
    std::shared_ptr<providers::CachedTts> cloud_tts;
    if (opt.tts == "elevenlabs" || opt.tts == "openai") {
        auto tts = opt.tts == "elevenlabs" ? providers::make_elevenlabs_tts(opt.elevenlabs, cloud)
                                           : providers::make_openai_tts(opt.openai_tts, cloud);
        if (!tts) return fail(kExitUsage, tts.error().message);
        // Cached too: a phrase said before (the greeting) costs no second request.
        cloud_tts = providers::CachedTts::create(*tts);
        engines.tts = cloud_tts;
    } else {
        engines.tts = local_tts;
    }
    engines.fallback_tts = local_tts;
    // The recogniser loads its decoder of the call's phrases and runs it once. /health says
    // "starting" (503) until that and the TTS cache are done: the first calls a load balancer
    // sends are then as fast as the later ones.
    engines.stt->prewarm(agent::stt_phrases(cfg.call));
    cfg.ready = [local_tts, stt = engines.stt] {
        return local_tts->prewarmed() && stt->prewarmed();
    };

    auto server = net::Server::create(cfg, engines);
    if (!server) {
        const bool usage = server.error().code == Errc::invalid_argument;
        return fail(usage ? kExitUsage : kExitRuntime, server.error().message);
    }
    signals.start(**server);
    // Every 2 s: a silent call between two utterances of the bot (its reprompts are 8 s apart, its
    // echo canceller freed 5.4 s after each) is trimmed at least once; a trim costs 0.1-1.5 ms
    // at 100 calls, on the trimmer's thread.
    const agenthost::HeapTrimmer trimmer(std::chrono::seconds(2));
    const Status ran = (*server)->run();
    // The same JSON-lines format as the server's own log.
    const double now_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::fprintf(stderr,
                 "{\"ts\":%.3f,\"level\":\"info\",\"event\":\"tts_cache\",\"hits\":%llu,"
                 "\"misses\":%llu,\"bytes\":%zu}\n",
                 now_s, static_cast<unsigned long long>(local_tts->hits()),
                 static_cast<unsigned long long>(local_tts->misses()), local_tts->cached_bytes());
    if (!ran) return fail(kExitRuntime, ran.error().message);
    return 0;
}
