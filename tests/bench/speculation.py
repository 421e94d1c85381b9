#!/usr/bin/env python3
"""The speculative reply's gain: end of speech -> first reply audio, with and without it.

Starts tests/fixtures/cloud_fixture.py with a chat whose first token takes --first-token-ms
(400 by default), then runs tests/bench/latency.py twice on the same calls: the agent on the
local recogniser (pocketsphinx, whose streaming decode sends interim transcripts), the fixture's
OpenAI-compatible chat as its LLM and flite, once with speculate_after_ms 0 (off) and once with
--speculate-ms (200 by default). Prints, for each, the agent's stages (p50/p95 ms, from its turn
log), the caller's own measure (end of its line -> first bot audio), and the speculative requests
kept and cancelled (the agent's /metrics); then the difference of the medians.
--complete-phrase-ms sets complete_phrase_silence_ms for both runs (the demo's lines complete a
dialog phrase, so their turns end after it: 250 ms by default, 500 ms = the plain endpoint, as
for words outside the phrases).

Not a ctest (real time: about a minute per call and setting). Usage:
  python3 tests/bench/speculation.py [--build build] [--calls 3] [--lines 4]
                                     [--first-token-ms 400] [--speculate-ms 200]
                                     [--complete-phrase-ms MS] [--json]"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "cloud_fixture.py"
LATENCY = ROOT / "tests" / "bench" / "latency.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
OPENAI_KEY = "sk-bench-openai"


def start_fixture(tmp, first_token_ms):
    log = open(tmp / "fixture.log", "wb")
    proc = subprocess.Popen([PYTHON, str(FIXTURE), "--cert-dir", str(tmp / "certs"),
                             "--openai-key", OPENAI_KEY,
                             "--chat-first-token-ms", str(first_token_ms)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    got = {}
    reader = threading.Thread(target=lambda: got.update(line=proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not got.get("line"):
        proc.kill()
        sys.exit("the cloud fixture did not start: " + (tmp / "fixture.log").read_text())
    info = json.loads(got["line"])
    env = {"OPENAI_API_KEY": OPENAI_KEY,
           "OPENAI_BASE_URL": f"https://localhost:{info['https_port']}/v1",
           "RINGOVERBOT_CA_FILE": info["ca_file"]}
    return proc, log, env


def run(args, tmp, env, speculate_ms):
    config = tmp / f"speculate-{speculate_ms}.json"
    call = {"speculate_after_ms": speculate_ms}
    if args.complete_phrase_ms:
        call["complete_phrase_silence_ms"] = args.complete_phrase_ms
    config.write_text(json.dumps({"call": call}))
    cmd = [PYTHON, str(LATENCY), "--build", args.build, "--calls", str(args.calls),
           "--lines", str(args.lines), "--json", "--", "--llm", "openai", "--config", str(config)]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env},
                       timeout=3600)
    if r.returncode != 0:
        sys.exit(f"latency.py failed ({r.returncode}): {r.stderr}{r.stdout}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--lines", type=int, default=4)
    ap.add_argument("--first-token-ms", type=int, default=400)
    ap.add_argument("--speculate-ms", type=int, default=200)
    ap.add_argument("--complete-phrase-ms", type=int, default=0,
                    help="complete_phrase_silence_ms (default: the engine's)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        fixture, log, env = start_fixture(tmp, args.first_token_ms)
        try:
            results = {"off": run(args, tmp, env, 0),
                       "on": run(args, tmp, env, args.speculate_ms)}
        finally:
            fixture.send_signal(signal.SIGTERM)
            try:
                fixture.wait(15)
            except subprocess.TimeoutExpired:
                fixture.kill()
            log.close()
    if args.json:
        print(json.dumps({"first_token_ms": args.first_token_ms,
                          "speculate_ms": args.speculate_ms, **results}, indent=1))
        return 0
    print(f"chat first token {args.first_token_ms} ms; local recogniser and TTS; "
          f"{args.calls} call(s) x {args.lines} lines per setting; speculate_after_ms "
          f"{args.speculate_ms}; complete_phrase_silence_ms "
          f"{args.complete_phrase_ms or 'default'}")
    rows = [("agent: end of speech -> STT final", "agent_stages_ms", "stt"),
            ("agent: STT final -> first LLM token", "agent_stages_ms", "llm_first_token"),
            ("agent: end of speech -> first frame", "agent_stages_ms", "total"),
            ("caller: end of line -> first bot audio", "caller_latency_ms", None)]
    print(f"{'(ms)':42} {'off p50':>8} {'p95':>6}   {'on p50':>7} {'p95':>6}   {'gain p50':>8}")
    for label, group, key in rows:
        off = results["off"][group] if key is None else results["off"][group][key]
        on = results["on"][group] if key is None else results["on"][group][key]
        fmt = lambda v: "     -" if v is None else f"{v:6.0f}"
        gain = (off["p50"] - on["p50"]) if None not in (off["p50"], on["p50"]) else None
        print(f"{label:42} {fmt(off['p50']):>8} {fmt(off['p95'])}   {fmt(on['p50']):>7} "
              f"{fmt(on['p95'])}   {fmt(gain):>8}")
    for name in ("off", "on"):
        r = results[name]
        s = r.get("speculations") or {}
        print(f"{name}: {r['turns']} turns, {r['speculative_turns']} answered speculatively; "
              f"speculative requests kept {s.get('kept')}, cancelled {s.get('cancelled')}; "
              f"failed turns {r['failed_turns']}, errors {len(r['errors'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
