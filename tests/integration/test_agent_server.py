"""The server side of ringoverbot-agent over real loopback sockets: HTTP routes, webhooks
through the endpoint, the streamer socket's token, limits and robustness, many calls at once,
and the process contract of examples/ringoverbot-agent.md (exit codes, SIGTERM drain)."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from conftest import ROOT, binary, free_port

VECTORS = json.loads((ROOT / "tests" / "data" / "webhooks.json").read_text())
KEY = VECTORS["vectors"][0]["key"]
IVR_TOKEN = VECTORS["ivr_token"]
HOOK_PATH = "/hooks/ringover/calls"
PUBLIC = "https://bot.example.fr"
CALL_START = {"event": "call_start", "call_id": "8812004471932250113",
              "from_number": "33611223344", "to_number": "33182880000",
              "audio": {"encoding": "L16", "sampleRate": 8000, "channels": 1}}
SILENCE = b"\x00" * 320  # 20 ms of L16 at 8 kHz


# ---- helpers ----------------------------------------------------------------------------------

def write_config(tmp_path, **settings):
    path = tmp_path / f"config{len(list(tmp_path.glob('config*.json')))}.json"
    path.write_text(json.dumps(settings))
    return str(path)


def http(agent, method, path, body=None, headers=None):
    """(status, body text, headers) without raising on 4xx/5xx."""
    req = urllib.request.Request(agent.base + path, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def metric(agent, name):
    """The value of one sample line of /metrics (name with its labels), or None."""
    _, text, _ = http(agent, "GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(envelope, url, key=KEY):
    header = b64url(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"url": url, "payload": envelope}).encode())
    sig = hmac.new(key.encode(), f"{header}.{claims}".encode(), hashlib.sha512).digest()
    return f"{header}.{claims}.{b64url(sig)}"


async def first_stream_audio(ws, timeout=20.0, send_silence=True):
    """Reads until the first streamAudio message; returns it parsed."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no streamAudio in time")
        try:
            msg = await asyncio.wait_for(ws.recv(), min(left, 0.1))
        except asyncio.TimeoutError:
            if send_silence:
                await ws.send(SILENCE)
            continue
        if isinstance(msg, str):
            data = json.loads(msg)
            if data.get("type") == "streamAudio":
                return data


async def open_call(url, **kwargs):
    ws = await websockets.connect(url, open_timeout=20, **kwargs)
    await ws.send(json.dumps(CALL_START))
    return ws


def refused_status(url, **kwargs):
    async def go():
        try:
            ws = await websockets.connect(url, open_timeout=10, **kwargs)
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code
        await ws.close()
        return 101
    return asyncio.run(go())


def agent_rss_kb(agent):
    for line in Path(f"/proc/{agent.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def agent_cpu_s(agent):
    fields = Path(f"/proc/{agent.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- HTTP -------------------------------------------------------------------------------------

def test_health_metrics_and_http_errors(start_agent):
    agent = start_agent()
    status, body, headers = http(agent, "GET", "/health")
    assert status == 200 and headers["Content-Type"] == "application/json"
    health = json.loads(body)
    assert health["status"] == "ok" and health["calls"] == 0 and health["max_calls"] >= 40

    status, text, headers = http(agent, "GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    for family in ("calls_active gauge", "calls_total counter", "frames_in_total counter",
                   "frames_out_total counter", "protocol_errors_total counter",
                   "webhooks_total counter", "turn_latency_seconds histogram",
                   "provider_errors_total counter"):
        assert f"# TYPE ringoverbot_{family}" in text, family

    assert http(agent, "GET", "/nope")[:2] == (404, '{"error":"not_found"}')
    status, body, headers = http(agent, "GET", "/webhooks/ringover")
    assert (status, body, headers["Allow"]) == (405, '{"error":"method_not_allowed"}', "POST")
    assert http(agent, "POST", "/health", body=b"{}")[0] == 405
    assert http(agent, "GET", "/ws")[:2] == (426, '{"error":"upgrade_required"}')
    # No key configured: every webhook is refused with its reason.
    assert http(agent, "POST", "/webhooks/ringover", body=b"{}")[:2] == (401, '{"error":"no_key"}')


# ---- webhooks ---------------------------------------------------------------------------------

def test_webhook_vectors_through_the_endpoint(start_agent, tmp_path):
    """Every signed vector of tests/data/webhooks.json, posted to the HTTP endpoint at the
    vectors' clock, gets the status and error body of its expected verdict."""
    # The vectors are independent requests (some share a signature): no replay cache here.
    config = write_config(tmp_path, webhook_path=HOOK_PATH,
                          webhook={"clock": VECTORS["vectors"][0]["now"], "reject_replays": False})
    agent = start_agent("--config", config, "--public-url", PUBLIC,
                        env={"RINGOVER_WEBHOOK_KEY": KEY, "RINGOVERBOT_IVR_TOKEN": IVR_TOKEN})
    status_of = {"ok": 200, "bad_json": 400, "body_too_large": 413}
    tally = {}
    for v in VECTORS["vectors"]:
        assert v["key"] == KEY and v["now"] == VECTORS["vectors"][0]["now"]
        expect = v["expect"] if isinstance(v["expect"], list) else [v["expect"]]
        query = v["url"].split("?", 1)[1] if "?" in v["url"] else None
        path = HOOK_PATH + ("?" + query if query else "")
        status, body, _ = http(agent, v["method"], path, body=v["body"].encode(),
                               headers={**v["headers"], "Content-Type": "application/json"})
        if status == 200:
            reason = "ok"
            assert body == "", v["name"]
        else:
            reason = json.loads(body)["error"]
        assert reason in expect, (v["name"], status, body)
        assert status == status_of.get(reason, 401), (v["name"], status)
        tally[reason] = tally.get(reason, 0) + 1
    assert tally["ok"] >= 5 and len(tally) >= 8
    for reason, n in tally.items():
        assert metric(agent, f'ringoverbot_webhooks_total{{reason="{reason}"}}') == n, reason

    lines = [l for l in agent.log_lines() if l.get("event") == "webhook"]
    assert any(l.get("reason") == "ok" and l.get("kind") == "call_answered" for l in lines)
    assert any(l.get("reason") == "bad_signature" for l in lines)


def test_webhook_signed_now_body_cap_and_chunked(start_agent, tmp_path):
    config = write_config(tmp_path, webhook_path=HOOK_PATH, max_body_bytes=4096)
    agent = start_agent("--config", config, "--public-url", PUBLIC,
                        env={"RINGOVER_WEBHOOK_KEY": KEY})
    envelope = {"resource": "call", "event": "ringing", "timestamp": time.time(), "attempt": 1,
                "data": {"call_id": "18446744073709551615", "from_number": "33611223344"}}
    body = json.dumps(envelope).encode()
    jwt = signed_jwt(envelope, PUBLIC + HOOK_PATH)
    # The legacy header form, verified against the real clock.
    assert http(agent, "POST", HOOK_PATH, body=body,
                headers={"Authorization": "Bearer " + jwt})[:2] == (200, "")
    # The same request again (a retry after a lost 200) is acknowledged, not processed again.
    status, text, _ = http(agent, "POST", HOOK_PATH, body=body,
                           headers={"X-Ringover-Webhook-Signature": jwt})
    assert (status, text) == (200, "")
    assert metric(agent, 'ringoverbot_webhooks_total{reason="duplicate"}') == 1
    assert metric(agent, 'ringoverbot_webhooks_total{reason="ok"}') == 1
    # Signed for another URL.
    other = signed_jwt(envelope, "https://evil.example/hook")
    status, text, _ = http(agent, "POST", HOOK_PATH, body=body,
                           headers={"X-Ringover-Webhook-Signature": other})
    assert (status, text) == (401, '{"error":"url_mismatch"}')
    # A request/response event answers 204 by default.
    contact = {"resource": "call", "event": "contact", "timestamp": time.time(), "attempt": 1,
               "data": {"call_id": "1", "from_number": "33611223344"}}
    status, text, _ = http(agent, "POST", HOOK_PATH, body=json.dumps(contact).encode(),
                           headers={"X-Ringover-Webhook-Signature":
                                    signed_jwt(contact, PUBLIC + HOOK_PATH)})
    assert (status, text) == (204, "")
    # Over the body cap: 413 with its reason, whatever the signature.
    status, text, _ = http(agent, "POST", HOOK_PATH, body=b"{" + b" " * 10000 + b"}",
                           headers={"X-Ringover-Webhook-Signature": jwt})
    assert (status, text) == (413, '{"error":"body_too_large"}')
    assert metric(agent, 'ringoverbot_webhooks_total{reason="body_too_large"}') == 1
    # A chunked body (libwebsockets 4.1 cannot read it) is refused at once, not left hanging.
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
        s.sendall(f"POST {HOOK_PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "2\r\n{}\r\n0\r\n\r\n".encode())
        reply = b""
        while b'"}' not in reply:  # headers and body may come in separate segments
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 411") and '{"error":"length_required"}' in reply
    assert agent.health()["status"] == "ok"


def decode_recording(path):
    """(channels, seconds, per-channel RMS) of an Ogg Opus file, decoded by opusdec."""
    wav = subprocess.run(["opusdec", "--quiet", "--rate", "8000", str(path), "-"],
                         capture_output=True, check=True).stdout
    raw = subprocess.run(["opusinfo", str(path)], capture_output=True, text=True).stdout
    channels = 2 if "Channels: 2" in raw else 1
    pcm = memoryview(wav).cast("h")
    frames = len(pcm) // channels
    rms = [(sum(pcm[i] ** 2 for i in range(c, len(pcm), channels)) / max(frames, 1)) ** 0.5
           for c in range(channels)]
    return channels, frames / 8000, rms


def test_hangup_webhook_ends_the_linked_call(start_agent, tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    config = write_config(tmp_path, webhook_path=HOOK_PATH, recording_dir=str(recordings))
    agent = start_agent("--config", config, "--public-url", PUBLIC,
                        env={"RINGOVER_WEBHOOK_KEY": KEY})

    async def go():
        ws = await open_call(agent.ws_url)
        await first_stream_audio(ws)
        for _ in range(50):  # a second of the greeting plays while the caller is silent
            await ws.send(SILENCE)
            await asyncio.sleep(0.02)
        hangup = {"resource": "call", "event": "hangup", "timestamp": time.time(), "attempt": 1,
                  "data": {"call_id": int(CALL_START["call_id"]), "reason": "hangup"}}
        status, _, _ = await asyncio.to_thread(
            http, agent, "POST", HOOK_PATH, json.dumps(hangup).encode(),
            {"X-Ringover-Webhook-Signature": signed_jwt(hangup, PUBLIC + HOOK_PATH)})
        assert status == 200
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        except websockets.exceptions.ConnectionClosed:
            pass
        # Ringover's retry of the same event (re-signed, attempt 2): 200, no second effect.
        hangup["attempt"] = 2
        retry = await asyncio.to_thread(
            http, agent, "POST", HOOK_PATH, json.dumps(hangup).encode(),
            {"X-Ringover-Webhook-Signature": signed_jwt(hangup, PUBLIC + HOOK_PATH)})
        assert retry[:2] == (200, "")
        return ws.close_code

    assert asyncio.run(go()) == 1000
    assert metric(agent, "ringoverbot_webhook_hangups_total") == 1
    assert metric(agent, 'ringoverbot_webhooks_total{reason="duplicate"}') == 1
    ends = [l for l in agent.log_lines() if l.get("event") == "call_end"]
    assert ends and ends[-1]["reason"] == "hangup" and ends[-1]["call_id"] == CALL_START["call_id"]
    dups = [l for l in agent.log_lines()
            if l.get("event") == "webhook" and l.get("reason") == "duplicate"]
    assert dups and dups[-1]["attempt"] == "2" and dups[-1]["kind"] == "call_hangup"
    # The call's recording, finished at the hang-up (by the encoder thread, soon after): stereo,
    # the call's length, the greeting on the right (the caller sent silence on the left).
    deadline = time.monotonic() + 10
    while metric(agent, "ringoverbot_recordings_total") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    files = list(recordings.glob(CALL_START["call_id"] + "-*T*Z.opus"))
    assert len(files) == 1, list(recordings.iterdir())
    channels, seconds, rms = decode_recording(files[0])
    assert channels == 2
    assert abs(seconds - ends[-1]["duration_s"]) <= 0.1, (seconds, ends[-1]["duration_s"])
    assert rms[1] > 300 and rms[0] < 30, rms
    assert metric(agent, "ringoverbot_recordings_total") == 1
    assert metric(agent, "ringoverbot_recording_failures_total") == 0


# ---- the streamer socket ----------------------------------------------------------------------

def test_stream_token_refused_with_401_before_upgrade(start_agent):
    agent = start_agent(env={"RINGOVERBOT_STREAM_TOKEN": "t0k3n"})
    assert refused_status(agent.ws_url) == 401
    assert refused_status(agent.ws_url + "?token=wrong") == 401
    assert refused_status(agent.ws_url.replace("/ws", "/other") + "?token=t0k3n") == 404

    async def greeted(url, **kw):
        ws = await open_call(url, **kw)
        await first_stream_audio(ws)
        await ws.close()
        return True

    assert asyncio.run(greeted(agent.ws_url + "?token=t0k3n"))
    assert asyncio.run(greeted(agent.ws_url, extra_headers={"Authorization": "Bearer t0k3n"}))
    assert metric(agent, 'ringoverbot_calls_refused_total{reason="bad_token"}') == 2
    assert metric(agent, "ringoverbot_calls_total") == 2


def test_malformed_frames_do_not_end_the_call(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, max_message_bytes=65536))

    async def go():
        ws = await open_call(agent.ws_url)
        await ws.send("{not json")
        await ws.send(b"\x01" * 321)                        # not a whole number of samples
        await ws.send(json.dumps({"event": "audio_data", "data": {"audioData": "@@@"}}))
        await ws.send(b"\x00" * 100_000)                    # over max_message_bytes
        await ws.send(json.dumps({"event": "mystery"}))     # unknown: ignored, not an error
        audio = await first_stream_audio(ws)
        pcm = base64.b64decode(audio["data"]["audioData"])
        await ws.send(SILENCE)
        await ws.ping()
        await ws.close()
        return audio, pcm

    audio, pcm = asyncio.run(go())
    assert audio["data"]["audioDataType"] == "raw" and audio["data"]["sampleRate"] == 8000
    assert len(pcm) > 1600 and any(pcm)
    assert metric(agent, "ringoverbot_protocol_errors_total") >= 4
    assert metric(agent, "ringoverbot_oversized_messages_total") == 1
    ends = [l for l in agent.log_lines() if l.get("event") == "call_end"]
    assert ends and ends[0]["reason"] == "close"
    assert agent.health()["calls"] == 0


def test_permessage_deflate_declined_by_default_accepted_when_enabled(start_agent, tmp_path):
    async def extensions(url):
        ws = await open_call(url)  # the client offers permessage-deflate by default
        await first_stream_audio(ws)
        names = [e.name for e in ws.extensions]
        await ws.close()
        return names

    assert asyncio.run(extensions(start_agent().ws_url)) == []
    on = start_agent("--config", write_config(tmp_path, permessage_deflate=True))
    assert asyncio.run(extensions(on.ws_url)) == ["permessage-deflate"]


def test_silent_peer_is_pinged_then_closed(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, ping_interval_s=1, idle_timeout_s=2))
    with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        t0 = time.monotonic()
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
        elapsed = time.monotonic() - t0
    assert received.startswith(b"HTTP/1.1 101")
    assert b"\x89\x00" in received  # a ping was sent before the hang-up
    assert 1.5 <= elapsed <= 8, elapsed


def test_max_calls_refused_with_503(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, max_calls=2))

    async def go():
        a = await open_call(agent.ws_url)
        b = await open_call(agent.ws_url)
        await first_stream_audio(a)
        try:
            await websockets.connect(agent.ws_url, open_timeout=10)
            third = 101
        except websockets.exceptions.InvalidStatusCode as e:
            third = e.status_code
        health = await asyncio.to_thread(agent.health)
        await a.close()
        for _ in range(100):
            if (await asyncio.to_thread(agent.health))["calls"] < 2:
                break
            await asyncio.sleep(0.05)
        c = await open_call(agent.ws_url)
        await first_stream_audio(c)
        await b.close()
        await c.close()
        return third, health

    third, health = asyncio.run(go())
    assert third == 503
    assert health["calls"] == 2
    assert metric(agent, 'ringoverbot_calls_refused_total{reason="max_calls"}') == 1
    assert metric(agent, "ringoverbot_calls_total") == 3


def test_forty_calls_at_once_are_all_greeted(start_agent, capsys):
    agent = start_agent()
    n = 40

    async def warm_up():
        # One call first: the greeting is then in the TTS cache (the startup prewarm may
        # still be running), as it is for every call of a server that has been up a while.
        ws = await open_call(agent.ws_url)
        await first_stream_audio(ws)
        await ws.close()

    asyncio.run(warm_up())
    rss_idle = agent_rss_kb(agent)
    cpu0 = agent_cpu_s(agent)

    async def one(i):
        t0 = time.monotonic()
        ws = await open_call(agent.ws_url)
        audio = await first_stream_audio(ws, timeout=45)
        return ws, time.monotonic() - t0, audio

    async def go():
        results = await asyncio.gather(*(one(i) for i in range(n)))
        rss_busy = await asyncio.to_thread(agent_rss_kb, agent)
        health = await asyncio.to_thread(agent.health)
        await asyncio.gather(*(ws.close() for ws, _, _ in results))
        return results, rss_busy, health

    t0 = time.monotonic()
    results, rss_busy, health = asyncio.run(go())
    wall = time.monotonic() - t0
    latencies = sorted(r[1] for r in results)
    assert len(results) == n and all(r[2]["data"]["audioData"] for r in results)
    assert health["calls"] == n
    cpu = agent_cpu_s(agent) - cpu0
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (n - 1))]
    with capsys.disabled():
        print(f"\n[40 calls] greeting latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms; RSS idle {rss_idle / 1024:.1f} MiB, with "
              f"{n} calls {rss_busy / 1024:.1f} MiB ({(rss_busy - rss_idle) / n:.0f} KiB/call); "
              f"agent CPU {cpu:.2f} s over {wall:.1f} s")
    assert latencies[-1] < 30
    for _ in range(100):
        if agent.health()["calls"] == 0:
            break
        time.sleep(0.05)
    assert agent.health()["calls"] == 0
    assert metric(agent, "ringoverbot_calls_total") == n + 1


# ---- the process ------------------------------------------------------------------------------

def run_agent(*args, env=None, timeout=30):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("RINGOVER", "OPENAI"))}
    full_env.update(env or {})
    return subprocess.run([binary("ringoverbot-agent"), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=full_env)


def test_bad_flags_and_config_exit_2_with_one_line(tmp_path):
    bad_dialog = tmp_path / "dialog.json"
    bad_dialog.write_text('{"greeting": "hi", "intents": [{"when": "open", "say": "x"}]}')
    cases = {
        ("--bogus",): "unknown option --bogus",
        ("--listen",): "--listen: needs a value",
        ("--listen", "nowhere"): "--listen",
        ("--stt", "whisper"): "--stt",
        ("--log-level", "loud"): "--log-level",
        ("--config", str(tmp_path / "missing.json")): "missing.json",
        ("--config", write_config(tmp_path, max_calls="many")): "$.max_calls",
        ("--config", write_config(tmp_path, colour="blue")): "$.colour: unknown key",
        ("--dialog", str(bad_dialog)): "$.intents",
        ("--dialog", str(tmp_path / "none.json")): "none.json",
        ("--stt", "deepgram"): "DEEPGRAM_API_KEY is not set",
    }
    for args, needle in cases.items():
        r = run_agent(*args, "--listen", f"127.0.0.1:{free_port()}") if args[0] != "--listen" \
            else run_agent(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], (args, r.stderr)
        assert lines[0].startswith("ringoverbot-agent: ")
    r = run_agent("--help")
    assert r.returncode == 0 and "--listen HOST:PORT" in r.stdout
    r = run_agent("--version")
    assert r.returncode == 0 and r.stdout.startswith("ringoverbot-agent ")


def test_port_in_use_exits_1_with_the_reason():
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_agent("--listen", f"127.0.0.1:{port}")
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert f"127.0.0.1:{port}" in last and "in use" in last.lower(), last


def test_sigterm_drains_a_live_call_then_exits_0(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, drain_timeout_s=20))

    async def go():
        ws = await open_call(agent.ws_url)
        await first_stream_audio(ws)
        agent.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        # Draining: health says so, a new call is refused, the live call still streams.
        status = await asyncio.to_thread(lambda: http(agent, "GET", "/health")[:2])
        try:
            await websockets.connect(agent.ws_url, open_timeout=5)
            refused = 101
        except websockets.exceptions.InvalidStatusCode as e:
            refused = e.status_code
        more = await first_stream_audio(ws, timeout=10)
        assert agent.proc.poll() is None
        await ws.close()
        return status, refused, more

    (status, body), refused, more = asyncio.run(go())
    assert status == 503 and json.loads(body)["status"] == "draining"
    assert refused == 503
    assert more["type"] == "streamAudio"
    assert agent.proc.wait(timeout=10) == 0
    events = [l.get("event") for l in agent.log_lines()]
    assert events.index("draining") < events.index("call_end") < events.index("stopped")


def test_drain_timeout_closes_live_calls_with_1001(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, drain_timeout_s=1,
                                                 recording_dir=str(tmp_path)))

    async def go():
        ws = await open_call(agent.ws_url)
        await first_stream_audio(ws)
        t0 = time.monotonic()
        agent.proc.send_signal(signal.SIGTERM)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        except websockets.exceptions.ConnectionClosed:
            pass
        return ws.close_code, time.monotonic() - t0

    code, elapsed = asyncio.run(go())
    assert code == 1001
    assert 0.8 <= elapsed <= 5, elapsed
    assert agent.proc.wait(timeout=10) == 0
    # The recording was finished by the drain: it decodes to the call's length.
    files = list(tmp_path.glob(CALL_START["call_id"] + "-*.opus"))
    assert len(files) == 1
    channels, seconds, _ = decode_recording(files[0])
    end = [l for l in agent.log_lines() if l.get("event") == "call_end"][-1]
    assert channels == 2 and abs(seconds - end["duration_s"]) <= 0.1, (seconds, end)


def test_second_sigterm_closes_live_calls_at_once(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, drain_timeout_s=60))

    async def go():
        ws = await open_call(agent.ws_url)
        await first_stream_audio(ws)
        agent.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert agent.proc.poll() is None  # still draining: the call is live
        t0 = time.monotonic()
        agent.proc.send_signal(signal.SIGTERM)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
        except websockets.exceptions.ConnectionClosed:
            pass
        return ws.close_code, time.monotonic() - t0

    code, elapsed = asyncio.run(go())
    assert code == 1001 and elapsed < 3, (code, elapsed)
    assert agent.proc.wait(timeout=10) == 0


def test_keep_alive_webhooks_and_other_upgrades(start_agent, tmp_path):
    import http.client
    agent = start_agent("--config", write_config(tmp_path, webhook_path=HOOK_PATH),
                        "--public-url", PUBLIC, env={"RINGOVER_WEBHOOK_KEY": KEY})
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=10)
    for i in range(3):  # one connection, several requests
        envelope = {"resource": "call", "event": "missed", "timestamp": time.time(),
                    "attempt": i + 1, "data": {"call_id": str(1000 + i)}}
        conn.request("POST", HOOK_PATH, body=json.dumps(envelope),
                     headers={"X-Ringover-Webhook-Signature":
                              signed_jwt(envelope, PUBLIC + HOOK_PATH)})
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"")
    conn.request("GET", "/health")
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["status"] == "ok"
    conn.close()
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                  b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
        reply = b""
        while b'"}' not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400") and b"unsupported_upgrade" in reply, reply
    assert metric(agent, 'ringoverbot_webhooks_total{reason="ok"}') == 3
