#!/usr/bin/env python3
"""Call density: what one call costs ringoverbot-agent (local engines, its defaults but for
max_calls), measured with the load generator beside it, and the same for an older commit's
agent in the same run.

Rows (default): 100, 500 and 1000 silent calls (a metadata frame, then 20 ms binary L16 frames
at 8 kHz) and 100 talking calls (the caller says a pre-rendered flite phrase the demo dialog
answers, every ~6 s once the reply has played). For each row the agent is started afresh, warmed
by one call, and its RSS read idle; the calls then ramp up (100 calls/s), and over a steady
window after every greeting has played the bench samples the agent's utime+stime
(/proc/PID/stat), its RSS (/proc/PID/status, every 0.5 s) and its live calls (/health, at both
ends of the window). It prints per row: the live calls and the agent's CPU % of one core, then
per live call the CPU %, the media path's CPU % (media%: all but the threads named rob-worker*,
the provider pool that decodes and synthesizes; '-' for a build that does not name them) and
the KiB of RSS ((RSS - idle RSS) / live calls) three ways: KiB/call
from the window's median RSS (the steady figure the README quotes), peak (the highest sample)
and quiet (the lowest). On the agent's defaults a silent caller is not left in silence: 8 s
after the bot stops it says the reprompt (twice, then the idle goodbye), so a silent row's
window holds the bot's speech too, and the calls started within the same second speak
together. While the bot speaks a call holds its echo canceller (~60 KiB, freed 5 s after); the
peak is that, the quiet sample is the calls between two utterances, the median lies between.
  greeting latency p50/p95 (connect -> first bot audio), reply latency p50/p95 (talking rows),
  failed calls, calls with an audio gap, and the generator's own CPU (it must not be the
  bottleneck).
With --baseline COMMIT (default 31cfbe0, the last commit before the density work) it extracts
that commit (git archive, no checkout), builds its agent under a temporary folder, runs every
row against it too (alternating, so both see the same machine) and prints the ratios new/old.
The load generator is this tree's for both. Not a ctest (minutes of real time). Usage:
  python3 tests/bench/density.py [--build build] [--baseline COMMIT | --no-baseline] [--quick]
                                 [--rows silent:100,silent:500,silent:1000,talk:100] [--json]"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_process import Agent, finish_load, render_phrase, start_load  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASELINE = "31cfbe0"
GREETING_SETTLE_S = 8  # the greeting (about 4 s of audio) has played for every call by then
RSS_SAMPLE_S = 0.5


def build(src, build_dir, targets, jobs):
    env = dict(os.environ)
    env.setdefault("CCACHE_BASEDIR", str(src))
    launcher = ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"] \
        if shutil.which("ccache") else []
    log = Path(build_dir) / "density-build.log"
    Path(build_dir).mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        ok = subprocess.run(["cmake", "-S", str(src), "-B", str(build_dir),
                             "-DCMAKE_BUILD_TYPE=RelWithDebInfo", *launcher],
                            stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0
        ok = ok and subprocess.run(["cmake", "--build", str(build_dir), f"-j{jobs}",
                                    "--target", *targets],
                                   stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0
    if not ok:
        sys.exit(f"density: the build of {src} failed (log: {log})")


def extract_commit(commit, dest):
    """The commit's tree in dest, read from the object store (no checkout, no worktree)."""
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                               stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        sys.exit(f"density: git archive {commit} failed")


def parse_rows(text):
    rows = []
    for item in text.split(","):
        kind, _, n = item.partition(":")
        if kind not in ("silent", "talk") or not n.isdigit() or int(n) < 1:
            sys.exit(f"density: bad row '{item}' (silent:N or talk:N)")
        rows.append((kind, int(n)))
    return rows


def run_row(agent_exe, call_exe, kind, calls, window_s, talk_wav, workdir):
    """One agent, one load; returns the row's figures."""
    ramp_s = max(1, calls // 100)
    duration_s = ramp_s + GREETING_SETTLE_S + window_s + 2
    agent = Agent(agent_exe, workdir, max_calls=calls + 100)
    try:
        warm = finish_load(start_load(call_exe, agent.ws_url, 1, 3), 60)
        time.sleep(0.5)
        rss_idle = agent.rss_kib()
        load = start_load(call_exe, agent.ws_url, calls, duration_s, ramp_s,
                          talk_wav if kind == "talk" else None)
        time.sleep(ramp_s + GREETING_SETTLE_S)
        live = [agent.live_calls()]
        cpu0, workers0, t0 = agent.cpu_s(), agent.worker_cpu_s(), time.monotonic()
        rss = [agent.rss_kib()]
        while time.monotonic() - t0 < window_s and agent.alive():
            time.sleep(min(RSS_SAMPLE_S, max(0.0, window_s - (time.monotonic() - t0))))
            rss.append(agent.rss_kib())
        cpu1, workers1, t1 = agent.cpu_s(), agent.worker_cpu_s(), time.monotonic()
        live.append(agent.live_calls())
        report = finish_load(load, duration_s + 120)
    finally:
        agent.stop()
    cpu_pct = 100.0 * (cpu1 - cpu0) / (t1 - t0)
    # The media path: everything but the provider workers' threads (decoding, synthesis).
    media_pct = None if workers0 is None or workers1 is None else \
        100.0 * ((cpu1 - cpu0) - (workers1 - workers0)) / (t1 - t0)
    # Per call alive in the window: calls that failed early (an overloaded agent) cost nothing.
    alive = max(1.0, sum(live) / len(live))
    per_call = lambda kib: round((kib - rss_idle) / alive, 1)
    rss_median = statistics.median_low(rss)
    return {
        "kind": kind, "calls": calls, "window_s": round(t1 - t0, 2),
        "live_calls": round(alive, 1),
        "agent_cpu_pct": round(cpu_pct, 3),
        "cpu_pct_per_call": round(cpu_pct / alive, 5),
        "media_cpu_pct_per_call": None if media_pct is None else round(media_pct / alive, 5),
        "rss_idle_kib": rss_idle, "rss_kib": rss_median, "rss_peak_kib": max(rss),
        "kib_per_call": per_call(rss_median),
        "kib_per_call_peak": per_call(max(rss)),
        "kib_per_call_quiet": per_call(min(rss)),
        "greeted": report["greeted"], "failed": report["failed"],
        "greeting_p50_ms": report["greeting_ms"]["p50"],
        "greeting_p95_ms": report["greeting_ms"]["p95"],
        "reply_p50_ms": report["reply_ms"]["p50"] if report["reply_ms"]["count"] else None,
        "reply_p95_ms": report["reply_ms"]["p95"] if report["reply_ms"]["count"] else None,
        "replies": report["replies"], "phrases": report["phrases"],
        "gap_calls": report["gap_calls"],
        "generator_cpu_pct": round(100.0 * report["cpu_s"] / report["wall_s"], 1),
        "failures": report["failures"][:3], "warm_failed": warm["failed"],
    }


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(results, with_baseline):
    head = (f"{'row':<12} {'agent':<8} {'live':>5} {'CPU%':>6} {'CPU%/call':>10} {'media%':>7} {'KiB/call':>9} {'peak':>6} {'quiet':>6} {'greet p50':>9} "
            f"{'p95 ms':>7} {'reply p50':>9} {'p95 ms':>7} {'failed':>6} {'gaps':>5} {'gen CPU%':>8}")
    print(head)
    print("-" * len(head))
    for r in results:
        for side in ("new", "old") if with_baseline else ("new",):
            x = r[side]
            print(f"{x['kind'] + ':' + str(x['calls']):<12} {side:<8} "
                  f"{x['live_calls']:>5.0f} {x['agent_cpu_pct']:>6.1f} "
                  f"{fmt(x['cpu_pct_per_call'], '.4f'):>10} {fmt(x.get('media_cpu_pct_per_call'), '.4f'):>7} "
                  f"{fmt(x['kib_per_call'], '.1f'):>9} "
                  f"{fmt(x.get('kib_per_call_peak'), '.0f'):>6} {fmt(x.get('kib_per_call_quiet'), '.0f'):>6} "
                  f"{fmt(x['greeting_p50_ms'], '.0f'):>9} {fmt(x['greeting_p95_ms'], '.0f'):>7} "
                  f"{fmt(x['reply_p50_ms'], '.0f'):>9} {fmt(x['reply_p95_ms'], '.0f'):>7} "
                  f"{x['failed']:>6} {x['gap_calls']:>5} {fmt(x['generator_cpu_pct'], '.1f'):>8}")
        if with_baseline:
            new, old = r["new"], r["old"]
            ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
            print(f"{'':<12} {'new/old':<8} {'':>5} {'':>6} {ratio(new['cpu_pct_per_call'], old['cpu_pct_per_call']):>10} {'':>7} "
                  f"{ratio(new['kib_per_call'], old['kib_per_call']):>9} "
                  f"{ratio(new['kib_per_call_peak'], old['kib_per_call_peak']):>6} "
                  f"{ratio(new['kib_per_call_quiet'], old['kib_per_call_quiet']):>6}")
    for r in results:
        for side, x in r.items():
            for f in x["failures"]:
                print(f"  {side} {x['kind']}:{x['calls']}: {f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help="the older commit (default %(default)s)")
    ap.add_argument("--no-baseline", action="store_true", help="this tree's agent only")
    ap.add_argument("--rows", default=None, help="kind:calls,... (default silent:100,silent:500,"
                    "silent:1000,talk:100; --quick: silent:100,talk:20)")
    ap.add_argument("--window", type=int, default=None, help="steady window, s (default 20; --quick 6)")
    ap.add_argument("--quick", action="store_true", help="small rows and a short window")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("ROB_JOBS", "2")))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    rows = parse_rows(args.rows or ("silent:100,talk:20" if args.quick
                                    else "silent:100,silent:500,silent:1000,talk:100"))
    window_s = args.window or (6 if args.quick else 20)

    build_dir = Path(args.build)
    build(ROOT, build_dir, ["ringoverbot-agent", "ringoverbot-call"], args.jobs)
    agents = {"new": build_dir / "examples" / "ringoverbot-agent"}
    call_exe = build_dir / "examples" / "ringoverbot-call"

    with tempfile.TemporaryDirectory(prefix="rob-density-") as tmp:
        tmp = Path(tmp)
        if not args.no_baseline:
            commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short",
                                     args.baseline + "^{commit}"], capture_output=True,
                                    text=True, check=True).stdout.strip()
            src = tmp / "baseline-src"
            src.mkdir()
            extract_commit(commit, src)
            print(f"density: building the baseline agent ({commit})...", file=sys.stderr)
            build(src, tmp / "baseline-build", ["ringoverbot-agent"], args.jobs)
            agents["old"] = tmp / "baseline-build" / "examples" / "ringoverbot-agent"
        talk_wav = render_phrase(tmp / "talk.wav")
        results = []
        for kind, calls in rows:
            result = {}
            for side, exe in agents.items():
                print(f"density: {side} agent, {calls} {kind} calls...", file=sys.stderr)
                result[side] = run_row(exe, call_exe, kind, calls, window_s, talk_wav,
                                       tmp / f"{side}-{kind}-{calls}")
            results.append(result)
    if args.json:
        print(json.dumps({"baseline": None if args.no_baseline else args.baseline,
                          "window_s": window_s, "rows": results}, indent=1))
    else:
        print_table(results, not args.no_baseline)


if __name__ == "__main__":
    main()
