#include <doctest/doctest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/host_config.hpp"

using namespace ringoverbot;
using namespace ringoverbot::agenthost;
using ringoverbot::net::LogLevel;

namespace {

struct Fixture {
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> files;

    Result<HostOptions> parse(std::vector<std::string_view> args) const {
        EnvLookup lookup = [this](std::string_view name) -> std::optional<std::string> {
            auto it = env.find(std::string(name));
            if (it == env.end()) return std::nullopt;
            return it->second;
        };
        FileReader reader = [this](const std::string& path) -> Result<std::string> {
            auto it = files.find(path);
            if (it == files.end()) return Error{Errc::io, "No such file or directory"};
            return it->second;
        };
        return parse_host_options(args, lookup, reader);
    }
};

std::string message(const Result<HostOptions>& r) {
    return r ? std::string() : r.error().message;
}

}  // namespace

TEST_CASE("examples: agent defaults match examples/ringoverbot-agent.md") {
    Fixture f;
    auto r = f.parse({});
    REQUIRE(r.ok());
    CHECK(r->server.host == "127.0.0.1");
    CHECK(r->server.port == 8765);
    CHECK(r->stt == "local");
    CHECK(r->llm == "scripted");
    CHECK(r->tts == "local");
    CHECK(r->server.ws_path == "/ws");
    CHECK(r->server.webhook_path == "/webhooks/ringover");
    CHECK(r->server.min_level == LogLevel::info);
    CHECK(r->dialog_path.empty());
    CHECK(r->server.stream_token.empty());
}

TEST_CASE("examples: agent flags, both spellings, and their errors") {
    Fixture f;
    f.env["DEEPGRAM_API_KEY"] = "dg";
    auto r = f.parse({"--listen", "0.0.0.0:9000", "--stt=deepgram", "--log-level", "debug",
                      "--public-url", "https://bot.example.fr", "--dialog", "d.json"});
    REQUIRE(r.ok());
    CHECK(r->server.host == "0.0.0.0");
    CHECK(r->server.port == 9000);
    CHECK(r->stt == "deepgram");
    CHECK(r->server.min_level == LogLevel::debug);
    CHECK(r->server.public_url == "https://bot.example.fr");
    CHECK(r->dialog_path == "d.json");

    auto v6 = f.parse({"--listen", "[::1]:0"});
    REQUIRE(v6.ok());
    CHECK(v6->server.host == "::1");
    CHECK(v6->server.port == 0);

    CHECK(f.parse({"--listen", "localhost:1"})->server.host == "127.0.0.1");
    CHECK(f.parse({"--listen", ":1"})->server.host == "127.0.0.1");
    CHECK(message(f.parse({"--listen", "bot.example.fr:80"})).find("not an IP address") !=
          std::string::npos);
    CHECK(message(f.parse({"--listen", "300.1.1.1:80"})).find("not an IP address") !=
          std::string::npos);
    CHECK(message(f.parse({"--listen"})) == "--listen: needs a value");
    CHECK(message(f.parse({"--bogus"})).find("unknown option --bogus") == 0);
    CHECK(message(f.parse({"positional"})).find("unexpected argument") == 0);
    CHECK(message(f.parse({"--listen", "localhost"})).find("--listen") == 0);
    CHECK(message(f.parse({"--listen", "127.0.0.1:70000"})).find("--listen: bad port") == 0);
    CHECK(message(f.parse({"--listen", "::1:80"})).find("brackets") != std::string::npos);
    CHECK(message(f.parse({"--stt", "whisper"})) ==
          "--stt: expected local|openai|deepgram, got 'whisper'");
    CHECK(message(f.parse({"--log-level", "loud"})).find("--log-level") == 0);
    CHECK(message(f.parse({"--public-url", "bot.example.fr"})).find("--public-url") == 0);
    CHECK(message(f.parse({"--help=yes"})) == "--help: takes no value");
    auto help = f.parse({"--help", "--bogus-after-help-is-still-checked"});
    CHECK_FALSE(help.ok());
    CHECK(f.parse({"--version"})->version);
    CHECK(f.parse({"--help"})->help);
}

TEST_CASE("examples: agent config file under the flags, secrets from the environment") {
    Fixture f;
    f.files["c.json"] = R"({
        "listen": "127.0.0.1:7000", "webhook_path": "/hooks/ringover/calls",
        "public_url": "https://bot.example.fr", "max_calls": 40, "drain_timeout_s": 2.5,
        "webhook_keys": {"call_events": "from-config", "routing": "rk_routing"},
        "webhook": {"clock": 1767258190, "reject_replays": false},
        "call": {"chunk_ms": 100, "greeting": "Hi", "allow_barge_in": false},
        "tts": "local", "log_level": "warn", "recording_dir": "/tmp"})";
    auto r = f.parse({"--config", "c.json", "--listen", "127.0.0.1:7001"});
    REQUIRE_MESSAGE(r.ok(), message(r));
    CHECK(r->server.recording_dir == "/tmp");
    CHECK(r->server.port == 7001);  // the flag wins
    CHECK(r->server.webhook_path == "/hooks/ringover/calls");
    CHECK(r->server.max_calls == 40);
    CHECK(r->server.drain_timeout_s == doctest::Approx(2.5));
    CHECK(r->server.webhook.call_events_key == "from-config");
    CHECK(r->server.webhook.routing_key == "rk_routing");
    CHECK_FALSE(r->server.webhook.reject_replays);
    REQUIRE(r->webhook_clock.has_value());
    CHECK(*r->webhook_clock == doctest::Approx(1767258190));
    CHECK(r->server.call.chunk_ms == 100);
    CHECK(r->server.call.greeting == "Hi");
    CHECK_FALSE(r->server.call.allow_barge_in);
    CHECK(r->server.min_level == LogLevel::warn);
    CHECK(r->server.recording_dir == "/tmp");

    f.env["RINGOVER_WEBHOOK_KEY"] = "from-env";
    f.env["RINGOVERBOT_STREAM_TOKEN"] = "tok";
    f.env["RINGOVERBOT_IVR_TOKEN"] = "";  // empty = unset
    auto e = f.parse({"--config", "c.json"});
    REQUIRE(e.ok());
    CHECK(e->server.webhook.call_events_key == "from-env");
    CHECK(e->server.stream_token == "tok");
    CHECK(e->server.webhook.ivr_token.empty());
}

TEST_CASE("examples: agent directory settings from the config") {
    Fixture f;
    f.files["c.json"] = R"({"redis_url": "unix:/run/redis.sock", "instance_id": "bot-7",
        "redis_key_prefix": "prod:", "redis_heartbeat_s": 0.5, "redis_instance_ttl_s": 3,
        "redis_reaper_s": 1, "redis_timeout_s": 0.2, "redis_pending_ttl_s": 60,
        "redis_dedup_ttl_s": 120})";
    auto r = f.parse({"--config", "c.json"});
    REQUIRE_MESSAGE(r.ok(), message(r));
    const auto& d = r->server.directory;
    CHECK(d.redis_url == "unix:/run/redis.sock");
    CHECK(d.instance_id == "bot-7");
    CHECK(d.key_prefix == "prod:");
    CHECK(d.heartbeat_s == doctest::Approx(0.5));
    CHECK(d.instance_ttl_s == doctest::Approx(3));
    CHECK(d.reaper_s == doctest::Approx(1));
    CHECK(d.redis_timeout_s == doctest::Approx(0.2));
    CHECK(d.pending_ttl_s == doctest::Approx(60));
    CHECK(d.dedup_ttl_s == doctest::Approx(120));

    f.files["bad.json"] = R"({"redis_url": "redis.internal:6379"})";
    auto bad = f.parse({"--config", "bad.json"});
    REQUIRE_FALSE(bad.ok());
    CHECK(message(bad).find("redis_url") != std::string::npos);
}

TEST_CASE("examples: agent turn-taking settings from the config") {
    Fixture f;
    auto d = f.parse({});
    REQUIRE(d.ok());
    const agent::CallConfig lib;
    CHECK(d->server.call.false_interruption_ms == lib.false_interruption_ms);
    CHECK(d->server.call.backchannel_words == lib.backchannel_words);
    CHECK(d->server.call.idle_reprompt_ms == lib.idle_reprompt_ms);
    CHECK(d->server.call.inband_dtmf == lib.inband_dtmf);

    f.files["turns.json"] = R"({"call": {
        "false_interruption_ms": 1500, "min_interruption_words": 2,
        "backchannel_words": ["uh-huh", "I see"], "idle_reprompt_ms": 6000,
        "idle_max_reprompts": 1, "reprompt": "Hello?", "idle_goodbye": "Bye.",
        "inband_dtmf": false}})";
    auto r = f.parse({"--config", "turns.json"});
    REQUIRE_MESSAGE(r.ok(), message(r));
    const agent::CallConfig& c = r->server.call;
    CHECK(c.false_interruption_ms == 1500);
    CHECK(c.min_interruption_words == 2);
    CHECK(c.backchannel_words == std::vector<std::string>{"uh-huh", "I see"});
    CHECK(c.idle_reprompt_ms == 6000);
    CHECK(c.idle_max_reprompts == 1);
    CHECK(c.reprompt == "Hello?");
    CHECK(c.idle_goodbye == "Bye.");
    CHECK_FALSE(c.inband_dtmf);

    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({"false_interruption_ms": 70000})", "$.call.false_interruption_ms"},
        {R"({"backchannel_words": "uh-huh"})", "$.call.backchannel_words: expected an array"},
        {R"({"backchannel_words": [1]})", "$.call.backchannel_words: expected an array"},
        {R"({"idle_reprompt_ms": 500})", "$.call.idle_reprompt_ms: expected 0 (never)"},
        {R"({"reprompt": " "})", "$.call.reprompt: expected a question"},
        {R"({"inband_dtmf": 1})", "$.call.inband_dtmf: expected true or false"},
    };
    for (const auto& [call, expected] : bad) {
        CAPTURE(call);
        f.files["bad.json"] = R"({"call": )" + call + "}";
        const std::string m = message(f.parse({"--config", "bad.json"}));
        CHECK(m.find(expected) != std::string::npos);
    }
}

TEST_CASE("examples: agent confidence gates and misunderstanding settings from the config") {
    Fixture f;
    // The defaults are the library's.
    auto d = f.parse({});
    REQUIRE(d.ok());
    const agent::CallConfig lib;
    CHECK(d->server.call.min_confidence == lib.min_confidence);
    CHECK(d->server.call.action_confidence == lib.action_confidence);
    CHECK(d->server.call.complete_phrase_silence_ms == lib.complete_phrase_silence_ms);
    CHECK(d->server.call.misheard_speech_ms == lib.misheard_speech_ms);
    CHECK(d->server.call.max_misunderstandings == lib.max_misunderstandings);
    CHECK(d->server.call.speculate_after_ms == lib.speculate_after_ms);

    f.files["gates.json"] = R"({"call": {
        "min_confidence": 0.35, "action_confidence": 1, "complete_phrase_silence_ms": 300,
        "speculate_after_ms": 0,
        "misheard_speech_ms": 600, "max_misunderstandings": 0,
        "confirm_end_prompt": "Shall I hang up?", "confirm_transfer_prompt": "Shall I put you through?",
        "misunderstood_say": "Let me find you someone.", "misunderstood_transfer": "33100000000"}})";
    auto r = f.parse({"--config", "gates.json"});
    REQUIRE_MESSAGE(r.ok(), message(r));
    const agent::CallConfig& c = r->server.call;
    CHECK(c.min_confidence == doctest::Approx(0.35));
    CHECK(c.action_confidence == 1.0);
    CHECK(c.complete_phrase_silence_ms == 300);
    CHECK(c.speculate_after_ms == 0);
    CHECK(c.misheard_speech_ms == 600);
    CHECK(c.max_misunderstandings == 0);
    CHECK(c.confirm_end_prompt == "Shall I hang up?");
    CHECK(c.confirm_transfer_prompt == "Shall I put you through?");
    CHECK(c.misunderstood_say == "Let me find you someone.");
    CHECK(c.misunderstood_transfer == "33100000000");
    CHECK(d->server.call.echo_cancellation == lib.echo_cancellation);
    CHECK(d->server.call.echo_tail_ms == lib.echo_tail_ms);
    CHECK(d->server.call.noise_suppression == lib.noise_suppression);
    f.files["echo.json"] =
        R"({"call": {"echo_cancellation": false, "echo_tail_ms": 600, "noise_suppression": true}})";
    auto e = f.parse({"--config", "echo.json"});
    REQUIRE_MESSAGE(e.ok(), message(e));
    CHECK_FALSE(e->server.call.echo_cancellation);
    CHECK(e->server.call.echo_tail_ms == 600);
    CHECK(e->server.call.noise_suppression);

    // Confidences are probabilities; the times and counts have bounds; a confirmation is a
    // question. Each error names its key.
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({"min_confidence": 1.5})", "$.call.min_confidence: expected a number within"},
        {R"({"min_confidence": -0.1})", "$.call.min_confidence: expected a number within"},
        {R"({"action_confidence": "0.9"})", "$.call.action_confidence: expected a number"},
        {R"({"action_confidence": 2})", "$.call.action_confidence: expected a number within"},
        {R"({"complete_phrase_silence_ms": 0})", "$.call.complete_phrase_silence_ms"},
        {R"({"complete_phrase_silence_ms": 0.5})", "$.call.complete_phrase_silence_ms"},
        {R"({"misheard_speech_ms": 20000})", "$.call.misheard_speech_ms"},
        {R"({"speculate_after_ms": 10001})", "$.call.speculate_after_ms"},
        {R"({"max_misunderstandings": -1})", "$.call.max_misunderstandings"},
        {R"({"confirm_end_prompt": "  "})", "$.call.confirm_end_prompt: expected a question"},
        {R"({"confirm_transfer_prompt": 3})", "$.call.confirm_transfer_prompt: expected a string"},
        {R"({"min_confidense": 0.5})", "$.call.min_confidense: unknown key"},
        {R"({"echo_tail_ms": 10})", "$.call.echo_tail_ms"},
        {R"({"echo_cancellation": 1})", "$.call.echo_cancellation"},
    };
    for (const auto& [call, expected] : bad) {
        CAPTURE(call);
        f.files["bad.json"] = R"({"call": )" + call + "}";
        const std::string m = message(f.parse({"--config", "bad.json"}));
        CHECK(m.find(expected) != std::string::npos);
    }
}

TEST_CASE("examples: agent config errors name the file and the JSON path") {
    Fixture f;
    f.files["typo.json"] = R"({"max_call": 3})";
    f.files["type.json"] = R"({"max_calls": "3"})";
    f.files["range.json"] = R"({"call": {"chunk_ms": 50}})";
    f.files["nested.json"] = R"({"webhook_keys": {"calls": "k"}})";
    f.files["notjson.json"] = R"({"max_calls": 3,)";
    f.files["array.json"] = R"([1,2])";
    f.files["paths.json"] = R"({"ws_path": "/metrics"})";
    CHECK(message(f.parse({"--config", "typo.json"})) ==
          "typo.json: config $.max_call: unknown key");
    CHECK(message(f.parse({"--config", "type.json"})).find("$.max_calls: expected an integer") !=
          std::string::npos);
    CHECK(message(f.parse({"--config", "range.json"})).find("$.call.chunk_ms") !=
          std::string::npos);
    CHECK(message(f.parse({"--config", "nested.json"})).find("$.webhook_keys.calls") !=
          std::string::npos);
    CHECK(message(f.parse({"--config", "notjson.json"})).find("not valid JSON") !=
          std::string::npos);
    CHECK(message(f.parse({"--config", "array.json"})).find("expected a JSON object") !=
          std::string::npos);
    CHECK(message(f.parse({"--config", "paths.json"})).find("ws_path") != std::string::npos);
    CHECK(message(f.parse({"--config", "missing.json"})) ==
          "--config missing.json: No such file or directory");
    for (const auto& [name, text] : f.files) {
        const std::string m = message(f.parse({"--config", name}));
        CHECK(m.find('\n') == std::string::npos);  // one line
    }
}

TEST_CASE(
    "examples: agent cloud providers: keys and base URLs from the environment, settings from the "
    "config") {
    Fixture f;
    f.env = {{"OPENAI_API_KEY", "sk-o"},           {"OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"},
             {"DEEPGRAM_API_KEY", "dg"},           {"DEEPGRAM_BASE_URL", "ws://127.0.0.1:9/v1"},
             {"ELEVENLABS_API_KEY", "el"},         {"RINGOVERBOT_CA_FILE", "/tmp/ca.pem"},
             {"HTTPS_PROXY", "http://proxy:3128"}, {"NO_PROXY", "localhost, .internal"}};
    f.files["c.json"] = R"({"openai":{"model":"llama3.2","temperature":0.2,"max_tokens":120,
        "tools":false,"base_url":"https://ignored.example/v1","stt_model":"whisper-large",
        "tts_voice":"nova"},
        "deepgram":{"model":"nova-3","endpointing_ms":250,"utterance_end_ms":1200},
        "elevenlabs":{"voice_id":"v1","model_id":"eleven_turbo_v2_5"},
        "cloud":{"connect_timeout_ms":1500,"first_byte_timeout_ms":4000,"max_attempts":2}})";
    auto r = f.parse(
        {"--config", "c.json", "--stt", "deepgram", "--llm", "openai", "--tts", "elevenlabs"});
    REQUIRE_MESSAGE(r, message(r));
    CHECK(r->openai_llm.api_key == "sk-o");
    CHECK(r->openai_llm.base_url == "http://127.0.0.1:11434/v1");  // the environment wins
    CHECK(r->openai_stt.base_url == "http://127.0.0.1:11434/v1");
    CHECK(r->openai_llm.model == "llama3.2");
    CHECK(r->openai_llm.temperature == doctest::Approx(0.2));
    CHECK(r->openai_llm.max_tokens == 120);
    CHECK_FALSE(r->openai_llm.tools);
    CHECK(r->openai_stt.model == "whisper-large");
    CHECK(r->openai_tts.voice == "nova");
    CHECK(r->deepgram.api_key == "dg");
    CHECK(r->deepgram.base_url == "ws://127.0.0.1:9/v1");
    CHECK(r->deepgram.model == "nova-3");
    CHECK(r->deepgram.endpointing_ms == 250);
    CHECK(r->deepgram.utterance_end_ms == 1200);
    CHECK(r->elevenlabs.api_key == "el");
    CHECK(r->elevenlabs.voice_id == "v1");
    CHECK(r->elevenlabs.base_url == providers::ElevenLabsTtsOptions{}.base_url);
    CHECK(r->cloud.ca_file == "/tmp/ca.pem");
    CHECK(r->cloud.https_proxy == "http://proxy:3128");
    CHECK(r->cloud.no_proxy == std::vector<std::string>{"localhost", ".internal"});
    for (const auto* t :
         {&r->openai_llm.timeouts, &r->deepgram.timeouts, &r->elevenlabs.timeouts}) {
        CHECK(t->connect_ms == 1500);
        CHECK(t->first_byte_ms == 4000);
        CHECK(t->max_attempts == 2);
    }
}

TEST_CASE(
    "examples: agent cloud providers need their keys, an OpenAI-compatible local server may not") {
    Fixture f;
    CHECK(message(f.parse({"--stt", "deepgram"})).find("DEEPGRAM_API_KEY is not set") == 0);
    CHECK(message(f.parse({"--tts", "elevenlabs"})).find("ELEVENLABS_API_KEY is not set") == 0);
    CHECK(message(f.parse({"--llm", "openai"})).find("OPENAI_API_KEY is not set") == 0);
    f.env["OPENAI_BASE_URL"] = "http://127.0.0.1:11434/v1";  // Ollama
    CHECK(f.parse({"--llm", "openai"}));
    f.files["bad.json"] = R"({"deepgram":{"endpointing":300}})";
    CHECK(message(f.parse({"--config", "bad.json"})) ==
          "bad.json: config $.deepgram.endpointing: unknown key");
    f.files["bad2.json"] = R"({"cloud":{"max_attempts":0}})";
    CHECK(message(f.parse({"--config", "bad2.json"})).find("$.cloud.max_attempts") !=
          std::string::npos);
}

TEST_CASE(
    "examples: agent Ringover REST: key and base URL from the environment, the rest from "
    "the config") {
    Fixture f;
    auto none = f.parse({});
    REQUIRE(none);
    CHECK(none->ringover.api_key.empty());  // no key: no REST
    CHECK(none->server.rest_transfer_fallback_ms == 4000);
    CHECK(none->server.rest_call_context);

    f.env = {{"RINGOVER_API_KEY", "US_k"}, {"RINGOVER_BASE_URL", "http://127.0.0.1:9/v2"}};
    f.files["c.json"] = R"({"ringover":{"transfer_fallback_ms":2500,"call_context":false,
        "requests_per_second":1.5,"burst":2,"max_rate_limited_retries":3,"backoff_ms":250,
        "max_backoff_ms":4000,"timeout_ms":9000,"connect_timeout_ms":2000,
        "hangup_path":"/calls/{call_id}/hangup","transfer_number_field":"number",
        "dtmf_field":"digits","transfer_path":"/t/{channel_id}","dtmf_path":"/d/{channel_id}",
        "toggle_path":"/g/{channel_id}/{what}","current_calls_path":"/c",
        "call_details_path":"/cd/{call_id}"}})";
    auto r = f.parse({"--config", "c.json"});
    REQUIRE_MESSAGE(r, message(r));
    CHECK(r->ringover.api_key == "US_k");
    CHECK(r->ringover.base_url == "http://127.0.0.1:9/v2");
    CHECK(r->server.rest_transfer_fallback_ms == 2500);
    CHECK_FALSE(r->server.rest_call_context);
    CHECK(r->ringover.requests_per_second == 1.5);
    CHECK(r->ringover.burst == 2);
    CHECK(r->ringover.max_rate_limited_retries == 3);
    CHECK(r->ringover.backoff_ms == 250);
    CHECK(r->ringover.max_backoff_ms == 4000);
    CHECK(r->ringover.timeout_ms == 9000);
    CHECK(r->ringover.connect_timeout_ms == 2000);
    CHECK(r->ringover.hangup_path == "/calls/{call_id}/hangup");
    CHECK(r->ringover.transfer_number_field == "number");
    CHECK(r->ringover.dtmf_field == "digits");
    CHECK(r->ringover.transfer_path == "/t/{channel_id}");
    CHECK(r->ringover.dtmf_path == "/d/{channel_id}");
    CHECK(r->ringover.toggle_path == "/g/{channel_id}/{what}");
    CHECK(r->ringover.current_calls_path == "/c");
    CHECK(r->ringover.call_details_path == "/cd/{call_id}");

    f.files["bad.json"] = R"({"ringover":{"requests_per_second":0}})";
    CHECK(message(f.parse({"--config", "bad.json"})).find("$.ringover.requests_per_second") !=
          std::string::npos);
    f.files["bad2.json"] = R"({"ringover":{"api_key":"k"}})";  // secrets only from the environment
    CHECK(message(f.parse({"--config", "bad2.json"})) ==
          "bad2.json: config $.ringover.api_key: unknown key");
}

TEST_CASE("examples: agent --workers and worker_processes (a count or auto) beside the pool's") {
    Fixture f;
    auto r = f.parse({});
    REQUIRE(r.ok());
    CHECK(r->worker_processes == 1);  // one process, no supervisor
    r = f.parse({"--workers", "4"});
    REQUIRE(r.ok());
    CHECK(r->worker_processes == 4);
    r = f.parse({"--workers=auto"});
    REQUIRE(r.ok());
    CHECK(r->worker_processes == 0);
    for (std::string_view bad : {"0", "many", "-1", "1025", ""}) {
        r = f.parse({"--workers", bad});
        CHECK(message(r).rfind("--workers: expected auto or a count within 1..1024", 0) == 0);
    }
    f.files["c.json"] = R"({"worker_processes": 3, "workers": 5})";
    r = f.parse({"--config", "c.json"});
    REQUIRE(r.ok());
    CHECK(r->worker_processes == 3);
    CHECK(r->workers == 5);  // the engines' threads, in each worker
    f.files["c.json"] = R"({"worker_processes": "auto"})";
    r = f.parse({"--config", "c.json", "--workers", "2"});  // the flag wins
    REQUIRE(r.ok());
    CHECK(r->worker_processes == 2);
    f.files["c.json"] = R"({"worker_processes": 0})";
    CHECK(message(f.parse({"--config", "c.json"})).find("$.worker_processes") != std::string::npos);
    f.files["c.json"] = R"({"worker_processes": "lots"})";
    CHECK(message(f.parse({"--config", "c.json"})).find("$.worker_processes") != std::string::npos);
    f.files["c.json"] = R"({"worker_processes": true})";
    CHECK_FALSE(f.parse({"--config", "c.json"}).ok());
}
