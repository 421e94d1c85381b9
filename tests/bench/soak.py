#!/usr/bin/env python3
"""Soak: many talking calls against one ringoverbot-agent (local engines) for a long time.

The caller of every call says a pre-rendered flite phrase the demo dialog answers, every ~6 s
once the reply has played (ringoverbot-call --load --talk). Every 5 s the agent's RSS and open
file descriptors are sampled. It fails (exit 1) when
  - a call failed (refused, dropped, no greeting, a phrase without a reply, a bad message),
  - the agent died,
  - the agent holds more descriptors after the calls ended than before they started,
  - the RSS at the end of the calls exceeds the RSS at the settle point (minute 5) by more
    than 5 % (--max-growth).
Usage:
  python3 tests/bench/soak.py [--build build] [--calls 200] [--minutes 60]
  python3 tests/bench/soak.py --ci      # the 2-minute version tests/run.sh runs: 40 calls,
                                        # settle point at 30 s, growth <= 5 % + 8 MiB"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_process import Agent, finish_load, render_phrase, start_load  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_S = 5


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--calls", type=int, default=None, help="concurrent talking calls (200; --ci 40)")
    ap.add_argument("--minutes", type=float, default=None, help="length of the calls (60; --ci 2)")
    ap.add_argument("--settle-minutes", type=float, default=None,
                    help="the RSS reference point after the ramp (5; --ci 0.5)")
    ap.add_argument("--max-growth", type=float, default=0.05, help="RSS growth allowed, fraction")
    ap.add_argument("--slack-mib", type=float, default=None,
                    help="RSS growth allowed on top, MiB (0; --ci 8: a short run's allocator noise)")
    ap.add_argument("--ci", action="store_true", help="the short version for tests/run.sh")
    args = ap.parse_args()
    calls = args.calls or (40 if args.ci else 200)
    minutes = args.minutes or (2.0 if args.ci else 60.0)
    settle_s = 60 * (args.settle_minutes if args.settle_minutes is not None
                     else (0.5 if args.ci else 5.0))
    slack_kib = 1024 * (args.slack_mib if args.slack_mib is not None else (8 if args.ci else 0))
    duration_s = int(minutes * 60)
    ramp_s = max(1, calls // 100)
    build = Path(args.build)
    agent_exe = build / "examples" / "ringoverbot-agent"
    call_exe = build / "examples" / "ringoverbot-call"
    for exe in (agent_exe, call_exe):
        if not exe.exists():
            sys.exit(f"soak: {exe} is not built")
    if settle_s + 2 * SAMPLE_S >= duration_s:
        sys.exit("soak: the settle point must come well before the end")

    problems = []
    with tempfile.TemporaryDirectory(prefix="rob-soak-") as tmp:
        tmp = Path(tmp)
        talk = render_phrase(tmp / "talk.wav")
        agent = Agent(agent_exe, tmp / "agent", max_calls=calls + 50)
        try:
            warm = finish_load(start_load(call_exe, agent.ws_url, 1, 3, talk=talk), 60)
            if warm["failed"]:
                problems.append(f"the warm-up call failed: {warm['failures']}")
            time.sleep(1)
            fds_before, rss_before = agent.fds(), agent.rss_kib()
            t0 = time.monotonic()
            load = start_load(call_exe, agent.ws_url, calls, duration_s, ramp_s, talk)
            rss_settle = None
            rss_end = fds_peak = rss_peak = 0
            # Sample until the last call's end is near (each call lasts duration_s after its open).
            end_at = t0 + ramp_s + duration_s - SAMPLE_S
            while time.monotonic() < end_at and agent.alive() and load.poll() is None:
                time.sleep(SAMPLE_S)
                elapsed = time.monotonic() - t0
                rss, fds = agent.rss_kib(), agent.fds()
                rss_peak, fds_peak = max(rss_peak, rss), max(fds_peak, fds)
                if rss_settle is None and elapsed >= ramp_s + settle_s:
                    rss_settle = rss
                if elapsed < ramp_s + duration_s - 1:
                    rss_end = rss
                print(f"soak: {elapsed:6.0f} s  RSS {rss / 1024:7.1f} MiB  fds {fds}",
                      file=sys.stderr, flush=True)
            report = finish_load(load, duration_s + ramp_s + 120)
            time.sleep(2)  # the agent closes its side of the last sockets
            alive = agent.alive()
            fds_after = agent.fds() if alive else None
        finally:
            agent.stop()

    if not alive:
        problems.append("the agent died")
    if report["failed"]:
        problems.append(f"{report['failed']} calls failed: {report['failures']}")
    if fds_after is not None and fds_after > fds_before:
        problems.append(f"descriptors grew: {fds_before} before the calls, {fds_after} after")
    if rss_settle is None:
        problems.append("no RSS sample at the settle point")
    elif rss_end > rss_settle * (1 + args.max_growth) + slack_kib:
        problems.append(f"RSS grew from {rss_settle} KiB (settle point) to {rss_end} KiB (end), "
                        f"more than {args.max_growth:.0%} + {slack_kib / 1024:.0f} MiB")
    print(f"soak: {calls} talking calls for {duration_s} s: greeted {report['greeted']}, "
          f"failed {report['failed']}, phrases {report['phrases']}, replies {report['replies']}, "
          f"reply p50/p95 {report['reply_ms']['p50']:.0f}/{report['reply_ms']['p95']:.0f} ms, "
          f"audio-gap calls {report['gap_calls']}")
    print(f"soak: RSS idle {rss_before} KiB, at the settle point {rss_settle} KiB, at the end "
          f"{rss_end} KiB, peak {rss_peak} KiB; descriptors {fds_before} before, peak {fds_peak}, "
          f"{fds_after} after")
    for p in problems:
        print(f"soak: FAILED: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
