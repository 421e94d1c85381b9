"""ringoverbot-agent --workers: N processes on one port (SO_REUSEPORT) under a supervisor that
restarts a dead worker and drains them all on SIGTERM; /health and /metrics answer for the group
(examples/ringoverbot-agent.md §Workers)."""
import asyncio
import json
import os
import signal
import time

import websockets

from test_agent_server import first_stream_audio, http, open_call


def worker_series(agent, name):
    """{worker index: value} of one per-worker metric family."""
    _, text, _ = http(agent, "GET", "/metrics")
    out = {}
    for line in text.splitlines():
        if line.startswith(name + '{worker="'):
            out[int(line.split('"')[1])] = float(line.rsplit(" ", 1)[1])
    return out


def sample(agent, name):
    _, text, _ = http(agent, "GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def group_health(agent):
    status, body, _ = http(agent, "GET", "/health")
    return status, json.loads(body)


def wait_ready(agent, workers):
    wait_until(lambda: group_health(agent)[1].get("workers", {}).get("ready") == workers,
               what=f"{workers} ready workers")


def worker_pids(agent):
    """{worker index: pid} of the latest worker_started lines of the supervisor."""
    pids = {}
    for line in agent.log_lines():
        if line.get("event") == "worker_started":
            pids[line["worker"]] = line["pid"]
    return pids


def test_two_workers_share_the_port_greet_forty_calls_and_drain(start_agent, tmp_path, capsys):
    agent = start_agent("--workers", "2")
    wait_ready(agent, 2)
    status, health = group_health(agent)
    assert status == 200 and health["workers"]["count"] == 2 and health["workers"]["alive"] == 2
    n = 40

    async def one():
        t0 = time.monotonic()
        ws = await open_call(agent.ws_url)
        audio = await first_stream_audio(ws, timeout=45)
        return ws, time.monotonic() - t0, audio

    async def go():
        results = await asyncio.gather(*(one() for _ in range(n)))
        health = await asyncio.to_thread(lambda: group_health(agent)[1])
        per_worker = await asyncio.to_thread(worker_series, agent,
                                             "ringoverbot_worker_calls_active")
        # SIGTERM with the calls live: both workers drain, the calls keep streaming.
        agent.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        draining = await asyncio.to_thread(group_health, agent)
        more = await asyncio.gather(*(first_stream_audio(ws, timeout=15)
                                      for ws, _, _ in results[:4]))
        still_running = agent.proc.poll() is None
        await asyncio.gather(*(ws.close() for ws, _, _ in results))
        return results, health, per_worker, draining, more, still_running

    results, health, per_worker, draining, more, still_running = asyncio.run(go())
    assert len(results) == n and all(r[2]["data"]["audioData"] for r in results)
    # Both workers took calls, and the group's /health counts them all whichever answers.
    assert set(per_worker) == {0, 1}
    assert per_worker[0] > 0 and per_worker[1] > 0, per_worker
    assert per_worker[0] + per_worker[1] == n
    assert health["calls"] == n
    assert draining[0] == 503 and draining[1]["status"] == "draining"
    assert all(m["type"] == "streamAudio" for m in more) and still_running
    assert agent.proc.wait(timeout=30) == 0
    events = [line.get("event") for line in agent.log_lines()]
    assert events.count("stopped") == 2  # each worker's server drained and stopped
    assert events.index("workers_draining") < events.index("workers_stopped")
    latencies = sorted(r[1] for r in results)
    with capsys.disabled():
        print(f"\n[--workers 2, 40 calls] per worker {per_worker[0]:.0f}/{per_worker[1]:.0f}; "
              f"greeting p50 {latencies[n // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


def test_a_killed_worker_loses_only_its_calls_and_is_restarted(start_agent):
    agent = start_agent("--workers", "2")
    wait_ready(agent, 2)

    async def go():
        # Calls until each worker holds at least one (the kernel hashes connections).
        calls = []
        for _ in range(30):
            ws = await open_call(agent.ws_url)
            await first_stream_audio(ws)
            calls.append(ws)
            active = await asyncio.to_thread(worker_series, agent,
                                             "ringoverbot_worker_calls_active")
            if active.get(0, 0) > 0 and active.get(1, 0) > 0:
                break
        held = active
        os.kill(worker_pids(agent)[0], signal.SIGKILL)
        await asyncio.sleep(0.5)
        # Worker 0's calls are cut; worker 1's still answer on their socket.
        ended, alive = 0, 0
        for ws in calls:
            try:
                await asyncio.wait_for(await ws.ping(), 5)
                alive += 1
            except (websockets.exceptions.ConnectionClosed, asyncio.TimeoutError):
                ended += 1
        for ws in calls:
            await ws.close()
        return held, ended, alive

    held, ended, alive = asyncio.run(go())
    assert ended == held[0] and alive == held[1], (held, ended, alive)
    wait_until(lambda: worker_series(agent, "ringoverbot_worker_restarts_total").get(0) == 1,
               what="worker 0 restarted")
    wait_ready(agent, 2)
    assert sample(agent, "ringoverbot_workers_alive") == 2
    # The group's counters keep the dead worker's calls; its live-call gauge went back to 0.
    assert sample(agent, "ringoverbot_calls_total") >= held[0] + held[1]
    exits = [line for line in agent.log_lines() if line.get("event") == "worker_exited"]
    assert exits and exits[0]["worker"] == 0 and exits[0]["status"] == "signal KILL"
    assert exits[0]["restart"] is True
    assert agent.stop() == 0
