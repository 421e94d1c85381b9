"""Several ringoverbot-agent instances sharing their calls through one real redis-server
(README §Several instances): the test starts redis-server on a free loopback port and stops it by
its pid; two agents A and B use it with short timings. Also the single-instance fix: a
call/hangup that comes before its stream ends the call when the stream opens."""
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import websockets

from conftest import Agent, free_port
from test_agent_server import (CALL_START, HOOK_PATH, KEY, PUBLIC, SILENCE, first_stream_audio,
                               http, metric, signed_jwt, write_config)

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
FAST = dict(redis_heartbeat_s=0.2, redis_instance_ttl_s=1.0, redis_reaper_s=0.25,
            redis_timeout_s=0.3)


class Redis:
    """redis-server on a free loopback port, no persistence; stopped by its pid."""

    def __init__(self, tmp_path):
        if not os.path.exists(REDIS):
            pytest.skip("redis-server is not installed (tests/tools/deps.sh installs it)")
        self.port = free_port()
        self.url = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while self.command("PING") != "+PONG":
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def command(self, *args):
        """One command in RESP; the first reply line (enough for PING, EXISTS, GET)."""
        req = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(req.encode())
                data = b""
                while not data.endswith(b"\r\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if data.startswith(b"$") and not data.startswith(b"$-1"):
                    while data.count(b"\r\n") < 2:
                        data += s.recv(4096)
                    return data.split(b"\r\n")[1].decode()
                return data.split(b"\r\n")[0].decode()
        except OSError:
            return None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path)
    yield r
    r.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """(redis, A, B) for the tests that leave them as they found them (each uses its own call
    ids): starting agents is most of these tests' time."""
    tmp = tmp_path_factory.mktemp("directory")
    r = Redis(tmp)
    agents = []
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RINGOVER", "OPENAI", "DEEPGRAM", "ELEVENLABS"))}
        env["RINGOVER_WEBHOOK_KEY"] = KEY
        for name in ("a", "b"):
            config = write_config(tmp, webhook_path=HOOK_PATH, redis_url=r.url,
                                  instance_id=f"inst-{name}", **FAST)
            agents.append(Agent(["--config", config, "--public-url", PUBLIC], env,
                                tmp / f"agent-{name}.log"))
        for agent in agents:
            wait_for(lambda agent=agent: metric(agent, "ringoverbot_directory_up") == 1, 10)
        yield r, agents[0], agents[1]
    finally:
        for agent in agents:
            agent.stop()
        r.stop()


def counts(agents):
    """The directory counters of each agent, to compare before and after one test's work."""
    names = ("local", "routed", "parked", "duplicate", "orphaned", "unavailable")
    return [{n: outcome(ag, n) for n in names}
            | {"inbox": metric(ag, "ringoverbot_directory_inbox_events_total"),
               "parked_applied": metric(ag, "ringoverbot_directory_parked_events_total")}
            for ag in agents]


def delta(before, after):
    return [{k: a[k] - b[k] for k in a} for b, a in zip(before, after)]


def start_pair(start_agent, tmp_path, redis, **extra):
    env = {"RINGOVER_WEBHOOK_KEY": KEY}
    agents = []
    for name in ("a", "b"):
        config = write_config(tmp_path, webhook_path=HOOK_PATH, redis_url=redis.url,
                              instance_id=f"inst-{name}", **FAST, **extra)
        agents.append(start_agent("--config", config, "--public-url", PUBLIC, env=env))
    for agent in agents:
        wait_for(lambda: metric(agent, "ringoverbot_directory_up") == 1, 10)
    return agents


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def hangup(call_id, attempt=1):
    return {"resource": "call", "event": "hangup", "timestamp": 1733230000.5, "attempt": attempt,
            "data": {"call_id": int(call_id), "reason": "hangup"}}


def post(agent, envelope):
    """(status, body) of a signed webhook."""
    body = json.dumps(envelope).encode()
    status, text, _ = http(agent, "POST", HOOK_PATH, body,
                           {"X-Ringover-Webhook-Signature": signed_jwt(envelope, PUBLIC + HOOK_PATH)})
    return status, text


def outcome(agent, name):
    return metric(agent, f'ringoverbot_directory_webhooks_total{{outcome="{name}"}}') or 0


async def open_stream(agent, call_id):
    ws = await websockets.connect(agent.ws_url, open_timeout=20)
    await ws.send(json.dumps(dict(CALL_START, call_id=str(call_id))))
    return ws


async def closed_within(ws, timeout):
    """The close code once the agent closes the socket (None if it stays open)."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(ws.recv(), 0.1)
            except asyncio.TimeoutError:
                await ws.send(SILENCE)
    except websockets.exceptions.ConnectionClosed:
        return ws.close_code
    return None


def call_ends(agent):
    return {l.get("call_id"): l.get("reason") for l in agent.log_lines()
            if l.get("event") == "call_end"}


# ---- routing ----------------------------------------------------------------------------------

def test_hangup_sent_to_b_ends_the_call_streaming_on_a(shared):
    redis, a, b = shared
    before = counts((a, b))
    call_id = "9100000000000000001"

    async def go():
        ws = await open_stream(a, call_id)
        await first_stream_audio(ws)
        wait_for(lambda: redis.command("GET", f"rb:owner:{call_id}") == "inst-a", 5)
        t0 = time.monotonic()
        status, _ = await asyncio.to_thread(post, b, hangup(call_id))
        code = await closed_within(ws, 10)
        return status, code, time.monotonic() - t0

    status, code, elapsed = asyncio.run(go())
    print(f"routed hangup: webhook to B -> A's socket closed in {elapsed * 1000:.1f} ms")
    assert status == 200 and code == 1000
    da, db = delta(before, counts((a, b)))
    assert db["routed"] == 1 and db["unavailable"] == 0
    assert da["inbox"] == 1
    assert call_ends(a)[call_id] == "hangup"
    # The call is released: no owner left, the hash says ended.
    wait_for(lambda: redis.command("EXISTS", f"rb:owner:{call_id}") == ":0", 5)
    assert redis.command("HGET", f"rb:call:{call_id}", "state") == "ended"


def test_hangup_before_the_stream_is_parked_then_applied(shared):
    redis, a, b = shared
    before = counts((a, b))
    call_id = "9100000000000000002"
    assert post(b, hangup(call_id))[0] == 200
    assert delta(before, counts((a, b)))[1]["parked"] == 1

    async def go():
        ws = await open_stream(a, call_id)
        return await closed_within(ws, 10)

    assert asyncio.run(go()) == 1000
    assert delta(before, counts((a, b)))[0]["parked_applied"] == 1
    assert call_ends(a)[call_id] == "hangup"


def test_same_webhook_to_a_and_b_at_once_takes_effect_once(shared):
    redis, a, b = shared
    before = counts((a, b))
    call_id = "9100000000000000003"

    async def go():
        ws = await open_stream(a, call_id)
        await first_stream_audio(ws)
        wait_for(lambda: redis.command("GET", f"rb:owner:{call_id}") == "inst-a", 5)
        envelope = hangup(call_id)
        results = {}
        threads = [threading.Thread(target=lambda ag=ag: results.setdefault(ag.base, post(ag, envelope)))
                   for ag in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        code = await closed_within(ws, 10)
        return [s for s, _ in results.values()], code

    statuses, code = asyncio.run(go())
    assert statuses == [200, 200] and code == 1000  # the duplicate still gets its 2xx
    da, db = delta(before, counts((a, b)))
    assert da["duplicate"] + db["duplicate"] == 1
    assert da["local"] + db["routed"] == 1
    # A retry (a new attempt) is another delivery: taken, harmless on an ended call.
    assert post(b, hangup(call_id, attempt=2))[0] == 200


def test_killed_instance_calls_are_reported_orphaned_by_the_other(start_agent, tmp_path, redis):
    a, b = start_pair(start_agent, tmp_path, redis)
    call_id = "9100000000000000004"

    async def go():
        ws = await open_stream(a, call_id)
        await first_stream_audio(ws)
        wait_for(lambda: redis.command("GET", f"rb:owner:{call_id}") == "inst-a", 5)
        t0 = time.monotonic()
        a.proc.kill()  # kill -9: no drain, no goodbye to Redis
        a.proc.wait()
        wait_for(lambda: metric(b, "ringoverbot_calls_orphaned_total") == 1, 10)
        return time.monotonic() - t0

    elapsed = asyncio.run(go())
    print(f"orphan reported {elapsed:.2f} s after kill -9 (TTL {FAST['redis_instance_ttl_s']} s)")
    lines = [l for l in b.log_lines() if l.get("event") == "call_orphaned"]
    assert [(l["call_id"], l["dead_instance"]) for l in lines] == [(call_id, "inst-a")]
    assert redis.command("HGET", f"rb:call:{call_id}", "state") == "orphaned"
    # A later webhook for it is answered (nobody can apply it) and counted as such.
    assert post(b, hangup(call_id))[0] == 200
    assert outcome(b, "orphaned") == 1
    # B itself is unaffected.
    assert b.health()["status"] == "ok"


def test_redis_paused_then_back(start_agent, tmp_path, redis):
    a, b = start_pair(start_agent, tmp_path, redis)
    kept, local = "9100000000000000005", "9100000000000000006"

    async def go():
        ws_kept = await open_stream(a, kept)
        ws_local = await open_stream(a, local)
        await first_stream_audio(ws_kept)
        await first_stream_audio(ws_local)
        wait_for(lambda: redis.command("GET", f"rb:owner:{local}") == "inst-a", 5)
        redis.pause()
        try:
            # A webhook for A's own call works on A; one for a call B does not hold gets 503.
            status_local, _ = await asyncio.to_thread(post, a, hangup(local))
            code_local = await closed_within(ws_local, 5)
            status_remote, body_remote = await asyncio.to_thread(post, b, hangup(kept))
            status_unknown, _ = await asyncio.to_thread(post, b, hangup("9100000000000000099"))
            # The other live call goes on streaming meanwhile.
            assert await closed_within(ws_kept, 0.5) is None
        finally:
            redis.resume()
        await asyncio.to_thread(wait_for, lambda: metric(b, "ringoverbot_directory_up") == 1, 10)
        await asyncio.to_thread(wait_for, lambda: metric(a, "ringoverbot_directory_up") == 1, 10)
        status_after, _ = await asyncio.to_thread(post, b, hangup(kept, attempt=2))
        code_kept = await closed_within(ws_kept, 10)
        return (status_local, code_local, status_remote, body_remote, status_unknown,
                status_after, code_kept)

    (status_local, code_local, status_remote, body_remote, status_unknown, status_after,
     code_kept) = asyncio.run(go())
    assert status_local == 200 and code_local == 1000
    assert status_remote == 503 and json.loads(body_remote) == {"error": "directory_unavailable"}
    assert status_unknown == 503
    assert status_after == 200 and code_kept == 1000
    assert metric(a, "ringoverbot_directory_outages_total") >= 1
    assert call_ends(a) == {kept: "hangup", local: "hangup"}
    # A re-asserted what it held when Redis came back; the ended calls are released since.
    assert redis.command("EXISTS", "rb:inst:inst-a") == ":1"


# ---- one instance, no Redis -------------------------------------------------------------------

def test_hangup_before_its_stream_ends_the_call_without_redis(start_agent, tmp_path):
    agent = start_agent("--config", write_config(tmp_path, webhook_path=HOOK_PATH),
                        "--public-url", PUBLIC, env={"RINGOVER_WEBHOOK_KEY": KEY})
    call_id = CALL_START["call_id"]
    assert post(agent, hangup(call_id))[0] == 200

    async def go():
        ws = await open_stream(agent, call_id)
        return await closed_within(ws, 10)

    # Before the fix the stream was greeted and stayed open until the drain timeout.
    assert asyncio.run(go()) == 1000
    assert call_ends(agent)[call_id] == "hangup"
    assert metric(agent, "ringoverbot_webhook_hangups_total") == 1
    meta = [l for l in agent.log_lines() if l.get("event") == "call_metadata"]
    assert meta and meta[0]["hung_up_before"] is True
