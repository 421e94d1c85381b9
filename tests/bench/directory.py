#!/usr/bin/env python3
"""Webhook routing across instances (README §Several instances): one redis-server and two
ringoverbot-agent instances A and B on loopback, started here and stopped by their pids.

For each of N calls: a stream opens on A (with its call id), the greeting plays, then a signed
call/hangup webhook goes to B (routed: B -> Redis -> A's inbox -> A ends the call) and the time
from the POST to A closing the socket is taken. The baseline, in the same run, posts the hangup
to A itself (local: no hop to another instance). Prints p50/p95 of both, their ratio, and the
Redis commands per call (redis' total_commands_processed over the routed calls, less what the
instances' heartbeats, reapers and inbox reads cost in an idle window of the same length).

  ROB_BUILD_DIR=build /usr/bin/python3 tests/bench/directory.py [--calls 40]
"""
import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import test_agent_directory as t  # noqa: E402  (the integration tests' helpers)
from conftest import Agent  # noqa: E402


def info_commands(redis):
    # INFO is a bulk reply over several lines: read it whole.
    import socket
    with socket.create_connection(("127.0.0.1", redis.port), timeout=2) as s:
        s.sendall(b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
        data = b""
        while b"total_commands_processed" not in data or not data.endswith(b"\r\n"):
            data += s.recv(65536)
    for line in data.decode().splitlines():
        if line.startswith("total_commands_processed:"):
            return int(line.split(":")[1])
    raise RuntimeError("no total_commands_processed in INFO")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


POLLS = [0]  # the bench's own GETs, taken out of the per-call figure


async def one_call(a, target, call_id):
    ws = await t.open_stream(a, call_id)
    await t.first_stream_audio(ws)
    deadline = time.monotonic() + 5
    while True:  # the stream is claimed
        POLLS[0] += 1
        if t.redis_owner(a, call_id) is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    status, _ = await asyncio.to_thread(t.post, target, t.hangup(call_id))
    code = await t.closed_within(ws, 10)
    if status != 200 or code != 1000:
        raise RuntimeError(f"call {call_id}: webhook {status}, close {code}")
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=40)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rob-directory-"))
    redis = t.Redis(tmp)
    agents = []
    try:
        env = {"RINGOVER_WEBHOOK_KEY": t.KEY}
        for name in ("a", "b"):
            config = t.write_config(tmp, webhook_path=t.HOOK_PATH, redis_url=redis.url,
                                    instance_id=f"bench-{name}")
            agents.append(Agent(["--config", config, "--public-url", t.PUBLIC], env,
                                tmp / f"{name}.log"))
        a, b = agents
        for ag in agents:
            t.wait_for(lambda ag=ag: t.metric(ag, "ringoverbot_directory_up") == 1, 10)
        t.redis_owner = lambda _agent, call: redis.command("GET", f"rb:owner:{call}") or None

        def sent():  # commands the two instances sent (each EVAL counts once)
            return sum(t.metric(ag, "ringoverbot_directory_commands_total") for ag in agents)

        idle0, sent0, t_idle = info_commands(redis), sent(), time.monotonic()
        time.sleep(3)
        idle_s = time.monotonic() - t_idle
        idle_rate = (info_commands(redis) - idle0 - 1) / idle_s
        idle_sent_rate = (sent() - sent0) / idle_s

        routed, local = [], []
        c0, s0, t0 = info_commands(redis), sent(), time.monotonic()
        for i in range(args.calls):
            routed.append(asyncio.run(one_call(a, b, f"77{i:017d}")))
        # Less the idle rate, the bench's own GETs and its second INFO.
        routed_cmds = (info_commands(redis) - c0 - idle_rate * (time.monotonic() - t0)
                       - POLLS[0] - 1)
        routed_sent = sent() - s0 - idle_sent_rate * (time.monotonic() - t0)
        for i in range(args.calls):
            local.append(asyncio.run(one_call(a, a, f"78{i:017d}")))

        ms = lambda v: v * 1000  # noqa: E731
        print(f"calls: {args.calls} routed (webhook to B, call on A), {args.calls} local "
              f"(webhook to A)")
        print(f"routed hangup -> A closes: p50 {ms(pct(routed, 50)):.1f} ms, "
              f"p95 {ms(pct(routed, 95)):.1f} ms, mean {ms(statistics.mean(routed)):.1f} ms")
        print(f"local  hangup -> A closes: p50 {ms(pct(local, 50)):.1f} ms, "
              f"p95 {ms(pct(local, 95)):.1f} ms (baseline)")
        print(f"routed / local p50: {pct(routed, 50) / pct(local, 50):.2f}x")
        print(f"commands the instances send per routed call: {routed_sent / args.calls:.1f} "
              f"(idle: {idle_sent_rate:.1f}/s for two instances)")
        print(f"commands redis runs per routed call, the scripts' own included: "
              f"{routed_cmds / args.calls:.1f} (idle: {idle_rate:.1f}/s)")
    finally:
        for ag in agents:
            ag.stop()
        redis.stop()


if __name__ == "__main__":
    main()
