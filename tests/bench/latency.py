#!/usr/bin/env python3
"""Turn latency of the whole agent, stage by stage, over repeated simulated calls.

Starts ringoverbot-agent (local engines: pocketsphinx, scripted dialog, flite) on a free port,
runs ringoverbot-call several times (each call says several lines and waits for each reply),
then prints p50/p95/max of:
  - the agent's stages, from its JSON "turn" log lines: end of speech -> STT final -> first LLM
    token -> first TTS audio -> first frame sent (and their sum);
  - the caller's measure: end of the caller's line -> first bot audio received;
  - the greeting: WebSocket open -> first bot audio;
  - the CPU used by the agent and by the simulator;
  - the speculative replies kept and cancelled (the agent's /metrics), and the turns answered
    with a kept one.
Not a ctest (it runs in real time: about a minute per call). Usage:
  python3 tests/bench/latency.py [--build build] [--calls 5] [--rate 8000] [--json]"""
import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lines the demo dialog answers without ending the call (hours, order, hours, order, ...).
LINES = ["what are your opening hours", "can i check my order please",
         "what time do you open", "i would like to check my order"]
STAGES = [("stt", "end of speech -> STT final"),
          ("llm_first_token", "STT final -> first LLM token"),
          ("tts_first_audio", "first LLM token -> first TTS audio"),
          ("first_frame", "first TTS audio -> first frame sent"),
          ("total", "agent: end of speech -> first frame")]


def percentiles(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    rank = lambda q: values[min(len(values), max(1, math.ceil(q * len(values)))) - 1]
    return {"n": len(values), "p50": rank(0.5), "p95": rank(0.95), "max": values[-1]}


def cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def speculation_counts(url):
    """The agent's speculative requests kept and cancelled so far (None when unreadable)."""
    try:
        page = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    except OSError:
        return None
    counts = {}
    for key in ("kept", "cancelled"):
        m = re.search(rf"^ringoverbot_speculations_{key}_total (\d+)$", page, re.M)
        counts[key] = int(m.group(1)) if m else None
    return counts


def start_agent(build, log_path, extra):
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(build / "examples" / "ringoverbot-agent"),
                             "--listen", "127.0.0.1:0", *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the agent exited {proc.returncode}: {Path(log_path).read_text()}")
        m = re.search(r'"event":"listening","url":"(http://[^"]+)"', Path(log_path).read_text())
        if m:
            try:
                urllib.request.urlopen(m.group(1) + "/health", timeout=2).read()
                return proc, log, m.group(1)
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    sys.exit("the agent did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--calls", type=int, default=5, help="calls, one after the other")
    ap.add_argument("--lines", type=int, default=4, help="lines said per call")
    ap.add_argument("--rate", default="8000", choices=["8000", "16000"])
    ap.add_argument("--inbound", default="l16", choices=["l16", "json"])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("agent_args", nargs="*", help="extra ringoverbot-agent flags (after --)")
    args = ap.parse_args()
    build = Path(args.build)
    for exe in ("ringoverbot-agent", "ringoverbot-call"):
        if not (build / "examples" / exe).exists():
            sys.exit(f"{build / 'examples' / exe} is not built")

    lines = [LINES[i % len(LINES)] for i in range(args.lines)]
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "agent.log"
        agent, log, url = start_agent(build, log_path, args.agent_args)
        agent_cpu0 = cpu_seconds(agent.pid)
        caller, greeting, errors, sim_cpu, sim_wall = [], [], [], 0.0, 0.0
        try:
            for i in range(args.calls):
                cmd = [str(build / "examples" / "ringoverbot-call"), "--json", "--transcribe", "off",
                       "--url", url.replace("http:", "ws:") + "/ws", "--rate", args.rate,
                       "--inbound", args.inbound]
                for line in lines:
                    cmd += ["--say", line]
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                try:
                    data = json.loads(r.stdout)
                except ValueError:
                    sys.exit(f"ringoverbot-call gave no JSON (exit {r.returncode}): {r.stderr}")
                sim_cpu += data["summary"]["cpu_s"]
                sim_wall += data["summary"]["wall_s"]
                for call in data["calls"]:
                    errors += call["errors"]
                    greeting.append(call["greeting_ms"])
                    caller += [t["latency_ms"] for t in call["turns"][1:]]
                if not args.json:
                    print(f"call {i + 1}/{args.calls}: exit {r.returncode}", file=sys.stderr)
            agent_cpu1 = cpu_seconds(agent.pid)
            speculations = speculation_counts(url)
        finally:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(30)
            except subprocess.TimeoutExpired:
                agent.kill()
            log.close()
        turns = []
        for text in log_path.read_text(errors="replace").splitlines():
            try:
                d = json.loads(text)
            except ValueError:
                continue
            if d.get("event") == "turn" and d.get("turn", 0) >= 1:
                turns.append(d)

    result = {
        "turns": len(turns), "calls": args.calls, "lines_per_call": args.lines,
        "rate": int(args.rate), "inbound": args.inbound,
        "agent_stages_ms": {key: percentiles([(t.get("latency_ms") or {}).get(key) for t in turns])
                            for key, _ in STAGES},
        "caller_latency_ms": percentiles(caller),
        "greeting_ms": percentiles(greeting),
        "failed_turns": sum(1 for t in turns if t.get("failed")),
        "errors": errors,
        "agent_cpu_s": (agent_cpu1 - agent_cpu0) if None not in (agent_cpu0, agent_cpu1) else None,
        "simulator_cpu_s": sim_cpu, "wall_s": sim_wall,
        "speculations": speculations,
        "speculative_turns": sum(1 for t in turns if t.get("speculative")),
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    fmt = lambda v: "     -" if v is None else f"{v:6.0f}"
    print(f"{len(turns)} turns over {args.calls} call(s), {args.rate} Hz {args.inbound}, "
          f"local engines")
    print(f"{'stage':44} {'p50':>6} {'p95':>6} {'max':>6}   n   (ms)")
    rows = [(label, result["agent_stages_ms"][key]) for key, label in STAGES]
    rows += [("caller: end of its line -> first bot audio", result["caller_latency_ms"]),
             ("caller: socket open -> greeting audio", result["greeting_ms"])]
    for label, p in rows:
        print(f"{label:44} {fmt(p['p50'])} {fmt(p['p95'])} {fmt(p['max'])}  {p['n']:3}")
    if result["agent_cpu_s"] is not None:
        print(f"agent CPU {result['agent_cpu_s']:.2f} s, simulator CPU {sim_cpu:.2f} s, "
              f"over {sim_wall:.1f} s of calls")
    if speculations and (speculations["kept"] or speculations["cancelled"]):
        print(f"speculative replies: {speculations['kept']} kept, {speculations['cancelled']} "
              f"cancelled")
    if result["failed_turns"] or errors:
        print(f"failed turns: {result['failed_turns']}; errors: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
