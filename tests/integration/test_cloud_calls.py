"""Whole simulated calls (ringoverbot-call) through ringoverbot-agent on its cloud providers, against
the local stand-ins of tests/fixtures/cloud_fixture.py: TLS on loopback with a test CA, the
services' real wire protocols, their error forms and faults.

The fixture stands in for recognition: it is given the sentences the caller says (--transcript),
in order. The bot's replies are transcribed by ringoverbot-call with the dialog as its grammar, so
the checks are on keywords and on protocol facts (commands, requests, metrics), never on timing."""
import json
import re
import time

from cloud_fixture_client import DEEPGRAM_KEY, ELEVENLABS_KEY, OPENAI_KEY
from cloud_fixture_client import cloud, cloud_cert_dir  # noqa: F401 (pytest fixtures)
from conftest import run_call

HOURS_WORDS = {"open", "eight", "morning", "six", "evening", "monday", "saturday"}
FALLBACK_WORDS = {"sorry", "catch", "again"}
FALLBACK = "Sorry, I did not catch that. Could you say it again?"
HOURS = "what are your opening hours"
SALES = "please transfer me to sales"
TOOLS = {"transfer_call", "send_digits", "play_audio", "end_call"}
LINE_ENCODING = {"L16": "linear16", "PCMU": "mulaw", "PCMA": "alaw"}
DEEPGRAM_ELEVENLABS = ("--stt", "deepgram", "--llm", "openai", "--tts", "elevenlabs")
ALL_OPENAI = ("--stt", "openai", "--llm", "openai", "--tts", "openai")
# A loaded 2-core machine: the bot may take long to start talking; the fixture faults add the
# agent's own deadlines (an LLM's first token: 8 s).
WAITS = ("--greeting-timeout", "30000", "--reply-timeout", "30000", "--timeout", "150")


def call_json(agent, *lines, extra=()):
    args = ["--json", "--url", agent.ws_url, *WAITS, *extra]
    for line in lines:
        args += ["--say", line]
    r = run_call(*args, timeout=200)
    try:
        data = json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"no JSON (exit {r.returncode}): {r.stdout!r} {r.stderr!r}\n"
                             f"agent log:\n{agent.log()[-4000:]}")
    return r, data


def words(text):
    return set(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())


def heard_hours(turn):
    return len(words(turn["bot"]) & HOURS_WORDS) >= 3


def heard_fallback(turn):
    return len(words(turn["bot"]) & FALLBACK_WORDS) >= 2


def transfers(turn):
    return [c for c in turn["commands"] if c["event"] == "transfer"]


def header(rec, name):
    found = [v for k, v in rec["headers"].items() if k.lower() == name]
    return found[0] if found else None


def wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def provider_failures(agent):
    """{(provider, kind): count} from /metrics: ringoverbot_provider_failures_total (or the older
    family name ringoverbot_provider_errors_total) samples that carry both labels."""
    status, text = agent.get("/metrics")
    assert status == 200
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(ringoverbot_provider_(?:failures|errors)_total)\{([^}]*)\}\s+(\S+)",
                         line.strip())
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m[2]))
        if "provider" in labels and "kind" in labels:
            key = (labels["provider"], labels["kind"])
            out[key] = out.get(key, 0) + float(m[3])
    return out


def assert_no_key_logged(*texts):
    for text in texts:
        for key in (OPENAI_KEY, DEEPGRAM_KEY, ELEVENLABS_KEY):
            assert key not in text
        assert "SECRETKEY" not in text  # not even a piece of one


def chat_user_texts(rec):
    return [m.get("content") for m in rec["body"]["messages"] if m.get("role") == "user"]


# ---- (a) Deepgram + OpenAI chat + ElevenLabs --------------------------------------------------

def test_deepgram_openai_elevenlabs_call(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--transcript", SALES)
    agent = start_agent(*DEEPGRAM_ELEVENLABS, env=f.env())
    r, data = call_json(agent, HOURS, SALES)
    call = data["calls"][0]
    assert r.returncode == 0 and call["ok"] and call["errors"] == [], (r.stdout, agent.log())
    greeting, hours, sales = call["turns"]
    assert greeting["caller"] is None and "bakery" in words(greeting["bot"]), greeting["bot"]
    assert hours["caller"] == HOURS and heard_hours(hours), hours["bot"]
    assert hours["latency_ms"] is not None and not hours["interrupted"]
    assert "sales" in words(sales["bot"]), sales["bot"]
    assert transfers(sales) and transfers(sales)[0]["data"] == "33182880001", sales
    assert call["end"] == "transferred"

    # Deepgram: the line's own format (no resampling), the Token header, CloseStream at the end.
    dg = [d for d in f.requests("deepgram") if d["status"] == 101]
    assert dg, f.requests("deepgram")
    for d in dg:
        assert d["query"]["encoding"] == LINE_ENCODING[data["encoding"]], d["query"]
        assert d["query"]["sample_rate"] == str(data["rate"]), d["query"]
        assert header(d, "authorization") == "Token " + DEEPGRAM_KEY
    assert dg[0]["audio_bytes"] > 0 and dg[0]["utterances"] >= 2
    def all_closed():
        opened = [d for d in f.requests("deepgram") if d["status"] == 101]
        return opened if all(d["closed_by"] is not None for d in opened) else None

    closed = wait_for(all_closed)
    assert closed, f.requests("deepgram")
    assert closed[-1]["closestream"] == 1 and closed[-1]["close_code"] == 1000, closed[-1]

    # The chat: the four tools declared on every request, and the history carried.
    chats = [c for c in f.requests("chat") if c["status"] == 200]
    assert len(chats) >= 2
    for c in chats:
        assert set(c["tools_declared"]) >= TOOLS, c["tools_declared"]
        assert header(c, "authorization") == "Bearer " + OPENAI_KEY
        assert c["body"]["stream"] is True
    second = next(c for c in chats if chat_user_texts(c)[-1] == SALES)
    msgs = second["body"]["messages"]
    asked = [i for i, m in enumerate(msgs) if m.get("role") == "user" and m["content"] == HOURS]
    answered = [i for i, m in enumerate(msgs) if m.get("role") == "assistant"
                and (m.get("content") or "").startswith("We are open")]
    assert asked and answered and asked[0] < answered[0] < len(msgs) - 1, msgs

    # ElevenLabs: the key in its header, a format that needs no transcoding.
    tts = [t for t in f.requests("elevenlabs") if t["status"] == 200]
    assert tts
    for t in tts:
        assert header(t, "xi-api-key") == ELEVENLABS_KEY
        assert t["query"]["output_format"] in ("ulaw_8000", "pcm_8000", "pcm_16000",
                                               "pcm_24000"), t["query"]
    spoken = " ".join(t["body"]["text"] for t in tts)
    assert "bakery" in spoken and "sales" in spoken
    assert_no_key_logged(agent.log())


# ---- (b) the OpenAI variants ------------------------------------------------------------------

def test_openai_stt_llm_tts_call(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--transcript", SALES)
    agent = start_agent(*ALL_OPENAI, env=f.env())
    r, data = call_json(agent, HOURS, SALES)
    call = data["calls"][0]
    assert r.returncode == 0 and call["ok"] and call["errors"] == [], (r.stdout, agent.log())
    greeting, hours, sales = call["turns"]
    assert "bakery" in words(greeting["bot"]), greeting["bot"]
    assert heard_hours(hours), hours["bot"]
    assert transfers(sales) and transfers(sales)[0]["data"] == "33182880001", sales
    assert call["end"] == "transferred"

    stt = [t for t in f.requests("transcribe") if t["status"] == 200]
    assert len(stt) >= 2
    for t in stt:
        assert {"file", "model"} <= set(t["fields"]), t["fields"]
        # whisper-1 is asked for verbose_json: its segments carry the transcript's confidence.
        assert t["form"]["model"] == "whisper-1"
        assert t["form"]["response_format"] == "verbose_json", t["form"]
        assert t["wav"]["rate"] == 16000 and t["wav"]["channels"] == 1, t["wav"]
        assert t["wav"]["duration_s"] > 0.5  # the turn's speech, endpointed locally
        assert header(t, "authorization") == "Bearer " + OPENAI_KEY
    speech = [s for s in f.requests("speech") if s["status"] == 200]
    assert speech
    for s in speech:
        assert s["body"]["response_format"] == "pcm"
        assert s["body"]["model"] and s["body"]["voice"]
    assert any("bakery" in s["body"]["input"] for s in speech)
    assert not f.requests("deepgram") and not f.requests("elevenlabs")
    assert_no_key_logged(agent.log())


# ---- (c) http:// and ws:// base URLs -----------------------------------------------------------

def test_plain_http_and_ws_base_urls(cloud, start_agent):
    f = cloud("--transcript", HOURS, plain=True)
    env = f.env()
    assert env["OPENAI_BASE_URL"].startswith("http://")
    assert env["DEEPGRAM_BASE_URL"].startswith("ws://")
    assert "RINGOVERBOT_CA_FILE" not in env
    agent = start_agent(*DEEPGRAM_ELEVENLABS, env=env)
    r, data = call_json(agent, HOURS)
    call = data["calls"][0]
    assert r.returncode == 0 and call["ok"], (r.stdout, agent.log())
    assert heard_hours(call["turns"][1]), call["turns"][1]["bot"]
    assert [d for d in f.requests("deepgram") if d["status"] == 101]
    assert [c for c in f.requests("chat") if c["status"] == 200]
    assert [t for t in f.requests("elevenlabs") if t["status"] == 200]


# ---- (d) failures: the caller always hears something, the call goes on ------------------------

def fallback_call(f, start_agent, stack=DEEPGRAM_ELEVENLABS):
    agent = start_agent(*stack, env=f.env())
    r, data = call_json(agent, HOURS)
    call = data["calls"][0]
    assert r.returncode == 0 and call["ok"] and call["errors"] == [], (r.stdout, agent.log())
    return agent, call


def test_chat_server_error_gives_the_spoken_fallback(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--fault", "chat:500")
    agent, call = fallback_call(f, start_agent)
    turn = call["turns"][1]
    assert turn["latency_ms"] is not None and heard_fallback(turn), turn["bot"]
    chats = f.requests("chat")
    assert chats and all(c["status"] == 500 for c in chats)
    # The local voice says the fallback: it was never sent to the cloud TTS.
    assert not [t for t in f.requests("elevenlabs") if FALLBACK in (t["body"] or {}).get("text", "")]
    failures = provider_failures(agent)
    assert failures.get(("openai", "server_error"), 0) >= 1, failures
    assert_no_key_logged(agent.log())


def test_chat_rate_limited_once_is_retried(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--fault", "chat:429:1")
    agent, call = fallback_call(f, start_agent)
    turn = call["turns"][1]
    assert heard_hours(turn), turn["bot"]
    statuses = [c["status"] for c in f.requests("chat")]
    assert statuses[0] == 429 and 200 in statuses[1:], statuses
    assert provider_failures(agent).get(("openai", "rate_limited"), 0) >= 1


def test_chat_stall_hits_the_deadline_and_the_fallback_is_heard(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--fault", "chat:stall")
    agent, call = fallback_call(f, start_agent)
    turn = call["turns"][1]
    assert turn["latency_ms"] is not None and heard_fallback(turn), turn["bot"]
    # The agent gave up on the stalled stream and closed its connection.
    stalled = wait_for(lambda: [c for c in f.requests("chat") if c["client_closed"]])
    assert stalled and stalled[0]["fault"] == "stall"
    assert provider_failures(agent).get(("openai", "timeout"), 0) >= 1


def test_elevenlabs_unauthorized_gives_the_local_fallback(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--fault", "elevenlabs:401")
    agent, call = fallback_call(f, start_agent)
    turn = call["turns"][1]
    assert turn["latency_ms"] is not None and heard_fallback(turn), turn["bot"]
    assert all(t["status"] == 401 for t in f.requests("elevenlabs"))
    assert [c for c in f.requests("chat") if c["status"] == 200]
    assert provider_failures(agent).get(("elevenlabs", "unauthorized"), 0) >= 1


def test_deepgram_drop_reconnects_and_a_later_turn_is_answered(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--fault", "deepgram:drop:1")
    agent = start_agent(*DEEPGRAM_ELEVENLABS, env=f.env())
    r, data = call_json(agent, HOURS, HOURS)
    call = data["calls"][0]
    assert r.returncode == 0 and call["ok"], (r.stdout, agent.log())
    turns = call["turns"]
    assert all(t["latency_ms"] is not None for t in turns[1:]), turns  # every line answered
    assert heard_hours(turns[-1]), turns[-1]["bot"]
    dg = f.requests("deepgram")
    assert dg[0]["closed_by"] == "server_drop"
    assert len([d for d in dg if d["status"] == 101]) >= 2  # it reconnected
    assert provider_failures(agent).get(("deepgram", "dropped"), 0) >= 1


# ---- (e) keys never logged -------------------------------------------------------------------

def test_no_key_in_any_log_line_at_debug_level(cloud, start_agent):
    f = cloud("--transcript", HOURS, "--transcript", SALES, "--fault", "chat:429:1",
              "--fault", "elevenlabs:500:1", "--fault", "deepgram:drop:1")
    agent = start_agent(*DEEPGRAM_ELEVENLABS, "--log-level", "debug", env=f.env())
    r, data = call_json(agent, HOURS, SALES)
    assert data["calls"][0]["turns"], r.stdout
    agent.stop()
    log = agent.log()
    lines = log.splitlines()
    assert len(lines) > 10, log  # debug logging did log
    levels = set()
    for line in lines:
        try:
            levels.add(json.loads(line).get("level"))
        except (ValueError, AttributeError):
            pass
    assert "debug" in levels, levels
    assert_no_key_logged(log)
    # The keys did go out, in their headers.
    recs = f.requests()
    assert any(header(x, "authorization") == "Bearer " + OPENAI_KEY for x in recs)
    assert any(header(x, "authorization") == "Token " + DEEPGRAM_KEY for x in recs)
    assert any(header(x, "xi-api-key") == ELEVENLABS_KEY for x in recs)
