#!/usr/bin/env python3
"""Barge-in over real sockets: the caller's speech onset -> `break` received, and how a noise
over the bot ends (the reply resumed, or lost).

Starts ringoverbot-agent (local engines) on a free port and runs ringoverbot-call several times,
one after the other. Each call asks for the opening hours and, 1 s into the bot's answer, talks
over it: either a real line ("transfer me to sales", whose interruption must stand) or, with
--noise, a 300 ms burst of noise at -12 dBFS (a cough: the reply must resume). The caller's channel of the
simulator's stereo recording (--out) gives the speech onset (the first 20 ms frame above -40
dBFS from the line's start); the simulator's own clock gives the break's arrival. Prints
p50/p95/max of onset -> break, and for --noise how much of the bot's reply played after the
line (a resumed reply keeps playing), how soon after the line's end it came, and the agent's
resume counters from /metrics. With --echo-db the simulator plays a speakerphone (the bot's
audio back into the caller's line, DB down, --echo-delay-ms late, line noise at -60 dBFS).
Not a ctest (real time, about 10 s per call). Usage:
  python3 tests/bench/barge_in.py [--build build] [--calls 5] [--noise] [--echo-db DB]
                                  [--echo-delay-ms MS] [--json] [-- AGENT FLAGS]"""
import argparse
import json
import math
import os
import signal
import struct
import subprocess
import sys
import tempfile
import urllib.request
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import ROOT, percentiles, start_agent  # noqa: E402


def caller_onset_ms(wav_path, from_ms, threshold_dbfs=-40.0):
    """The first 20 ms frame of the caller's channel (left) at or after from_ms above the level."""
    with wave.open(str(wav_path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)[::channels]
    frame = rate // 50
    start = int(from_ms * rate / 1000) // frame * frame
    for i in range(start, len(samples) - frame, frame):
        block = samples[i:i + frame]
        rms = math.sqrt(sum(x * x for x in block) / frame) / 32768
        if rms > 0 and 20 * math.log10(rms) >= threshold_dbfs:
            return i * 1000 / rate
    return None


def noise_wav(path, rate=8000, ms=300, dbfs=-12.0):
    """A burst of white noise (a cough's stand-in: no words in it)."""
    import random
    rnd = random.Random(7)
    amp = 32767 * 10 ** (dbfs / 20) * math.sqrt(3)
    n = rate * ms // 1000
    lead = [0] * (rate // 10)
    body = [int(max(-32768, min(32767, amp * (2 * rnd.random() - 1)))) for _ in range(n)]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(lead) + n + len(lead)}h", *(lead + body + lead)))


def metric(url, name):
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--noise", action="store_true", help="talk over the bot with a noise burst")
    ap.add_argument("--echo-db", type=float, help="a speakerphone echo this far down")
    ap.add_argument("--echo-delay-ms", type=int, default=120)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("agent_args", nargs="*", help="extra ringoverbot-agent flags (after --)")
    args = ap.parse_args()
    build = Path(args.build)
    onset_to_break, after_break, resume_gap, errors = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        noise = tmp / "noise.wav"
        noise_wav(noise)
        agent, log, url = start_agent(build, tmp / "agent.log", args.agent_args)
        try:
            for i in range(args.calls):
                out = tmp / f"call{i}.wav"
                cmd = [str(build / "examples" / "ringoverbot-call"), "--json", "--transcribe",
                       "off", "--url", url.replace("http:", "ws:") + "/ws", "--barge-in",
                       "--out", str(out), "--say", "what are your opening hours"]
                cmd += ["--wav", str(noise)] if args.noise else ["--say", "transfer me to sales"]
                if args.echo_db is not None:
                    cmd += ["--echo-db", f"{args.echo_db:g}", "--echo-delay-ms",
                            str(args.echo_delay_ms), "--noise-dbfs", "-60"]
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                try:
                    call = json.loads(r.stdout)["calls"][0]
                except (ValueError, KeyError, IndexError):
                    sys.exit(f"ringoverbot-call gave no JSON (exit {r.returncode}): {r.stderr}")
                errors += call["errors"]
                for t in call["turns"]:
                    if not t.get("barged_in"):
                        continue
                    brk = [c["at_ms"] for c in t["commands"] if c["event"] == "break"]
                    # The break lands on the reply the line cut: the turn before this one.
                    prev = call["turns"][call["turns"].index(t) - 1]
                    brk += [c["at_ms"] for c in prev["commands"] if c["event"] == "break"]
                    onset = caller_onset_ms(out, t["speech_start_ms"])
                    if os.environ.get("ROB_BENCH_DEBUG"):
                        print("line", t["speech_start_ms"], "onset", onset, "breaks", brk,
                              file=sys.stderr)
                    later = [b for b in brk if onset is not None and b >= onset]
                    if later:
                        onset_to_break.append(min(later) - onset)
                    # The simulator files the audio that follows a line under that line's turn:
                    # after a noise, that is the resumed reply.
                    after_break.append(t.get("bot_audio_ms"))
                    if t.get("first_audio_ms") is not None and t.get("speech_end_ms") is not None:
                        resume_gap.append(t["first_audio_ms"] - t["speech_end_ms"])
                if not args.json:
                    print(f"call {i + 1}/{args.calls}: exit {r.returncode}", file=sys.stderr)
            counters = {k: metric(url, "ringoverbot_" + k + "_total")
                        for k in ("barge_ins", "interruptions", "false_interruptions", "resumes",
                                "misheard_turns")}
        finally:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(30)
            except subprocess.TimeoutExpired:
                agent.kill()
            log.close()
    result = {"calls": args.calls, "noise": args.noise, "echo_db": args.echo_db,
              "onset_to_break_ms": percentiles(onset_to_break),
              "bot_audio_after_line_ms": percentiles(after_break),
              "line_end_to_bot_audio_ms": percentiles(resume_gap),
              "counters": counters, "errors": errors}
    if args.json:
        print(json.dumps(result))
        return
    p = result["onset_to_break_ms"]
    print(f"caller speech onset -> break received: p50 {p['p50']} ms, p95 {p['p95']} ms, "
          f"max {p['max']} ms ({p['n']} barge-ins)")
    a = result["bot_audio_after_line_ms"]
    g = result["line_end_to_bot_audio_ms"]
    print(f"end of the caller's line -> bot audio again: p50 {g['p50']} ms, max {g['max']} ms; "
          f"bot audio after the line: p50 {a['p50']} ms, min..max over calls up to {a['max']} ms")
    print("agent counters:", ", ".join(f"{k} {v}" for k, v in counters.items()))
    if errors:
        print("errors:", errors)


if __name__ == "__main__":
    main()
