#!/usr/bin/env python3
"""The agent's own overhead on a cloud turn: everything but the time spent inside the services.

Starts tests/fixtures/cloud_fixture.py (TLS stand-ins for Deepgram, OpenAI and ElevenLabs on
loopback) and ringoverbot-agent on its cloud providers, runs ringoverbot-call several times (each
call says several lines), then joins, turn by turn, the agent's JSON "turn" log line (its stages:
end of speech -> STT final -> first LLM token -> first TTS audio -> first frame sent) with the
fixture's records of the same turn (CLOCK_MONOTONIC times of when each request arrived and when
each answer byte was written). All times below are on the one monotonic clock, or are the agent's
own stage durations; the agent's wall-clock `ts` is not used.

Per turn (S = the STT result written by the service, A = chat request arrival, T1 = first SSE
event with text written, Tn = the SSE event completing the text of the first TTS request written,
A2 = that TTS request's arrival, T2 = its first audio chunk written):
  service time   STT: Deepgram: the last voiced frame's arrival -> the final written (the
                 endpointing the service applies); OpenAI: upload arrival -> answer written.
                 Chat: A -> Tn (the agent cannot speak before it has the sentence). TTS: A2 -> T2.
  overhead       agent total (end of speech -> first frame) - the three service times; with the
                 OpenAI recogniser the agent's own endpointing silence (--endpoint-ms, a policy,
                 not work) is subtracted too and shown on its own line. Split in two: after the
                 STT result ((total - stt) - chat - TTS service: exact) and in the STT stage. With
                 Deepgram the latter compares the agent's VAD end of speech with the fixture's
                 (-35 dBFS per 20 ms frame): the two disagree by a frame or two, so it is the
                 VAD difference (often negative), not work; the loopback audio forwarding in it
                 is well under a millisecond.
  exact client windows (fixture clock only): S -> A (the final's delivery and parse, the turn
                 decision, the chat request's build, TLS connect or reuse and send); Tn -> A2 (SSE
                 parse, sentence cut, TTS request build and send); and chat client total = agent
                 llm stage - (T1 - A).
  derived        first token parse = chat client total - (S -> A); first token -> TTS arrival;
                 first audio byte -> first frame sent. These are exact but for d, the time from
                 the service writing the STT result to the agent taking it (loopback delivery,
                 a few hundred microseconds): the parse figure is low by d, the others high by d.

Not a ctest (real time: about 50 s per call of 4 lines). Usage:
  python3 tests/bench/cloud_turn.py [--build build] [--variant deepgram|openai|both]
                                    [--turns 20] [--lines 4] [--json out.json]"""
import argparse
import json
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import cpu_seconds, percentiles  # noqa: E402 (shared with the local benchmark)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "cloud_fixture.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
# The agent caches whole TTS phrases, so every turn of a run gets an answer of its own: the
# fixture's chat answers from this dialog, and the caller's lines (and, through
# /_fixture/transcripts, the recognisers' transcripts) name a different item each time.
ITEMS = ["croissants", "baguettes", "brioche", "macarons", "eclairs", "sourdough", "rye bread",
         "muffins", "cheesecake", "apple pie", "doughnuts", "cinnamon rolls", "scones",
         "ciabatta", "focaccia", "pretzels", "bagels", "shortbread", "meringues", "madeleines",
         "baklava", "strudel", "panettone", "waffles"]


def item_line(i):
    return f"do you have any {ITEMS[i % len(ITEMS)]} today"


def bench_dialog(n):
    intents = []
    for i in range(n):
        item = ITEMS[i % len(ITEMS)]
        tag = f" (batch {i // len(ITEMS) + 1})" if i >= len(ITEMS) else ""
        intents.append({"when": [item],
                        "say": f"Yes, we have fresh {item}{tag} this morning, baked at six. "
                               f"They cost {2 + i % 5} euros each, and we keep some aside for "
                               f"you until noon if you ask."})
    return {"intents": intents, "fallback": "Sorry, I did not catch that."}

VARIANTS = {
    "deepgram": ["--stt", "deepgram", "--llm", "openai", "--tts", "elevenlabs"],
    "openai": ["--stt", "openai", "--llm", "openai", "--tts", "openai"],
}
KEYS = {"openai": "sk-bench-openai", "deepgram": "bench-deepgram", "elevenlabs": "bench-eleven"}
CALL_WAITS = ["--greeting-timeout", "30000", "--reply-timeout", "30000", "--timeout", "300"]

ROWS = [  # (key, label); values in ms
    ("agent_total", "agent: end of speech -> first frame sent"),
    ("service_stt", "service: STT (Deepgram endpointing / upload->answer)"),
    ("service_chat", "service: chat arrival -> first sentence written"),
    ("service_chat_first_token", "  (chat arrival -> first text event written)"),
    ("service_tts", "service: TTS arrival -> first audio written"),
    ("endpointing", "agent endpointing silence (policy, OpenAI STT)"),
    ("overhead", "OVERHEAD: total - services (- endpointing)"),
    ("overhead_after_stt", "  after the STT result: (total - stt) - chat - TTS"),
    ("stt_ours", "  in the STT stage: stt - STT service (- endpointing)"),
    ("final_to_chat", "  STT result written -> chat request arrival"),
    ("first_token_parse", "  first SSE text written -> agent's first token"),
    ("chat_client", "  chat client total (request + first token)"),
    ("sentence_to_tts", "  sentence's SSE event written -> TTS arrival"),
    ("token_to_tts", "  agent's first token -> TTS arrival"),
    ("audio_to_frame", "  first audio written -> first frame sent"),
    ("first_frame_stage", "  agent stage: first TTS audio -> first frame"),
]


def stop(proc, grace=30):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Fixture:
    def __init__(self, tmp, n_items):
        self.log = open(tmp / "fixture.log", "wb")
        (tmp / "dialog.json").write_text(json.dumps(bench_dialog(n_items)))
        cmd = [PYTHON, str(FIXTURE), "--cert-dir", str(tmp / "certs"),
               "--openai-key", KEYS["openai"], "--deepgram-key", KEYS["deepgram"],
               "--elevenlabs-key", KEYS["elevenlabs"], "--dialog", str(tmp / "dialog.json")]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log)
        got = {}
        reader = threading.Thread(target=lambda: got.update(line=self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(60)
        if not got.get("line"):
            stop(self.proc)
            sys.exit("the cloud fixture did not start: " + (tmp / "fixture.log").read_text())
        info = json.loads(got["line"])
        self.base = f"https://localhost:{info['https_port']}/v1"
        self.ws_base = f"wss://localhost:{info['wss_port']}/v1"
        self.ca_file = info["ca_file"]
        self.ssl = ssl.create_default_context(cafile=self.ca_file)

    def env(self):
        return {"OPENAI_API_KEY": KEYS["openai"], "OPENAI_BASE_URL": self.base,
                "DEEPGRAM_API_KEY": KEYS["deepgram"], "DEEPGRAM_BASE_URL": self.ws_base,
                "ELEVENLABS_API_KEY": KEYS["elevenlabs"], "ELEVENLABS_BASE_URL": self.base,
                "RINGOVERBOT_CA_FILE": self.ca_file}

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base[:-3] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30, context=self.ssl) as r:
            return json.loads(r.read())

    def close(self):
        stop(self.proc, 15)
        self.proc.stdout.close()
        self.log.close()


def start_agent(build, log_path, env, extra):
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(build / "examples" / "ringoverbot-agent"), "--listen",
                             "127.0.0.1:0", "--log-level", "info", *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                            env={**os.environ, **env})
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


def words(text):
    return " ".join(re.sub(r"[^\w\s]", " ", (text or "").lower()).split())


def last_user_text(chat):
    users = [m for m in (chat.get("body") or {}).get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    return content if isinstance(content, str) else ""


def tts_text(rec):
    body = rec.get("body") or {}
    return body.get("text") if rec["service"] == "elevenlabs" else body.get("input")


def join_turn(turn, chat, records, variant, endpoint_ms):
    """One turn's figures (ms), or the reason it cannot be joined."""
    lat = turn.get("latency_ms") or {}
    if any(lat.get(k) is None for k in ("stt", "llm_first_token", "tts_first_audio",
                                        "first_frame", "total")):
        return None, "a stage is missing"
    a = chat["t_arrival"]
    events = chat.get("events") or []
    t_first = next((t for t, d in events if d), None)
    # The STT answer this turn was built from: the last one written before the chat arrived.
    if variant == "deepgram":
        finals = [f for r in records if r["service"] == "deepgram" and r["status"] == 101
                  for f in r.get("finals", []) if f["t_sent"] <= a]
        if not finals:
            return None, "no Deepgram final before the chat request"
        final = max(finals, key=lambda f: f["t_sent"])
        if final["t_last_voiced"] is None:
            return None, "the final had no voiced frame"
        s, service_stt = final["t_sent"], final["t_sent"] - final["t_last_voiced"]
    else:
        stts = [r for r in records if r["service"] == "transcribe" and r["status"] == 200
                and r["t_last_byte"] is not None and r["t_last_byte"] <= a]
        if not stts:
            return None, "no transcription answer before the chat request"
        stt = max(stts, key=lambda r: r["t_last_byte"])
        s, service_stt = stt["t_last_byte"], stt["t_last_byte"] - stt["t_arrival"]
    tts_service = "elevenlabs" if variant == "deepgram" else "speech"
    ttss = sorted((r for r in records if r["service"] == tts_service and r["t_arrival"] > a
                   and r.get("t_first_audio") is not None), key=lambda r: r["t_arrival"])
    if not ttss or t_first is None:
        return None, "no TTS request or no chat text"
    tts = ttss[0]
    a2, t2 = tts["t_arrival"], tts["t_first_audio"]
    # The SSE event that completed the first TTS request's text.
    want, acc, t_sentence = words(tts_text(tts)), "", None
    for t, d in events:
        acc += d or ""
        if want and words(acc).startswith(want):
            t_sentence = t
            break
    if t_sentence is None or t_sentence > a2:
        return None, "the first TTS text is not a prefix of the chat answer"
    ms = lambda x: x * 1000.0
    total = lat["total"]
    policy = endpoint_ms if variant == "openai" else 0.0
    chat_client = lat["llm_first_token"] - ms(t_first - a)
    final_to_chat = ms(a - s)
    first_token_parse = chat_client - final_to_chat
    out = {
        "agent_total": total,
        "service_stt": ms(service_stt),
        "service_chat": ms(t_sentence - a),
        "service_chat_first_token": ms(t_first - a),
        "service_tts": ms(t2 - a2),
        "endpointing": policy if variant == "openai" else None,
        "overhead": total - ms(service_stt) - ms(t_sentence - a) - ms(t2 - a2) - policy,
        "overhead_after_stt": total - lat["stt"] - ms(t_sentence - a) - ms(t2 - a2),
        "stt_ours": lat["stt"] - ms(service_stt) - policy,
        "final_to_chat": final_to_chat,
        "first_token_parse": first_token_parse,
        "chat_client": chat_client,
        "sentence_to_tts": ms(a2 - t_sentence),
        "token_to_tts": ms(a2 - t_first) - first_token_parse,
        "audio_to_frame": lat["tts_first_audio"] - ms(t2 - t_first) + first_token_parse
        + lat["first_frame"],
        "first_frame_stage": lat["first_frame"],
    }
    return out, None


def run_variant(build, variant, turns_wanted, lines_per_call, endpoint_ms, quiet):
    calls = max(1, math.ceil(turns_wanted / lines_per_call))
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        fixture = Fixture(tmp, calls * lines_per_call)
        agent = log = None
        try:
            log_path = tmp / "agent.log"
            agent, log, url = start_agent(build, log_path, fixture.env(), VARIANTS[variant])
            cpu0, load0 = cpu_seconds(agent.pid), os.getloadavg()
            errors, wall0 = [], time.monotonic()
            for i in range(calls):
                lines = [item_line(i * lines_per_call + k) for k in range(lines_per_call)]
                fixture.control("POST", "/_fixture/transcripts", lines)
                cmd = [str(build / "examples" / "ringoverbot-call"), "--json", "--transcribe",
                       "off", "--url", url.replace("http:", "ws:") + "/ws", *CALL_WAITS]
                for line in lines:
                    cmd += ["--say", line]
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                try:
                    data = json.loads(r.stdout)
                    for call in data["calls"]:
                        errors += call["errors"]
                except (ValueError, KeyError):
                    errors.append(f"ringoverbot-call gave no JSON (exit {r.returncode}): "
                                  f"{r.stderr[-300:]}")
                if not quiet:
                    print(f"{variant}: call {i + 1}/{calls}: exit {r.returncode}",
                          file=sys.stderr)
            wall = time.monotonic() - wall0
            cpu1, load1 = cpu_seconds(agent.pid), os.getloadavg()
            records = fixture.control("GET", "/_fixture/requests")
        finally:
            if agent is not None:
                stop(agent)
                log.close()
            fixture.close()
        turns = []
        for text in log_path.read_text(errors="replace").splitlines():
            try:
                d = json.loads(text)
            except ValueError:
                continue
            if d.get("event") == "turn" and d.get("turn", 0) >= 1:
                turns.append(d)

    chats = sorted((r for r in records if r["service"] == "chat" and r["status"] == 200),
                   key=lambda r: r["t_arrival"])
    joined, skipped, used = [], [], set()
    for t in turns:  # calls run one after the other: the turns' chats come in the same order
        if t.get("failed"):
            skipped.append(f"turn {t['turn']}: failed")
            continue
        chat = next((c for i, c in enumerate(chats) if i not in used
                     and words(last_user_text(c)) == words(t.get("transcript"))), None)
        if chat is None:
            skipped.append(f"turn {t['turn']}: no chat request with its transcript")
            continue
        used.add(chats.index(chat))
        figures, why = join_turn(t, chat, records, variant, endpoint_ms)
        if figures is None:
            skipped.append(f"turn {t['turn']}: {why}")
        else:
            joined.append(figures)
    joined = joined[:turns_wanted]
    return {
        "variant": variant, "providers": VARIANTS[variant], "calls": calls,
        "lines_per_call": lines_per_call, "turns_logged": len(turns), "turns_joined": len(joined),
        "skipped": skipped, "call_errors": errors,
        "ms": {key: percentiles([j[key] for j in joined]) for key, _ in ROWS},
        "per_turn": joined,
        "agent_cpu_s": (cpu1 - cpu0) if None not in (cpu0, cpu1) else None,
        "wall_s": wall, "loadavg_1m": [load0[0], load1[0]], "cpus": os.cpu_count(),
    }


def print_table(res):
    fmt = lambda v: "      -" if v is None else f"{v:7.1f}"
    print(f"\n{res['variant']} ({' '.join(res['providers'])}): {res['turns_joined']} turns "
          f"joined of {res['turns_logged']} logged over {res['calls']} call(s); "
          f"{res['cpus']} CPUs, load {res['loadavg_1m'][0]:.1f} -> {res['loadavg_1m'][1]:.1f}")
    print(f"{'component':54} {'p50':>7} {'p95':>7} {'max':>7}   n   (ms)")
    for key, label in ROWS:
        p = res["ms"][key]
        if p["n"]:
            print(f"{label:54} {fmt(p['p50'])} {fmt(p['p95'])} {fmt(p['max'])}  {p['n']:3}")
    if res["agent_cpu_s"] is not None:
        print(f"agent CPU {res['agent_cpu_s']:.2f} s over {res['wall_s']:.1f} s of calls")
    for s in res["skipped"]:
        print(f"skipped {s}")
    for e in res["call_errors"]:
        print(f"call error: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("ROB_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--variant", default="both", choices=["deepgram", "openai", "both"])
    ap.add_argument("--turns", type=int, default=20, help="caller turns per variant")
    ap.add_argument("--lines", type=int, default=4, help="lines said per call")
    ap.add_argument("--endpoint-ms", type=float, default=500.0,
                    help="the agent's endpoint silence (agent.endpoint_silence_ms), subtracted "
                         "as policy with the OpenAI recogniser")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args()
    build = Path(args.build)
    for exe in ("ringoverbot-agent", "ringoverbot-call"):
        if not (build / "examples" / exe).exists():
            sys.exit(f"{build / 'examples' / exe} is not built")
    if args.turns < 1 or args.lines < 1:
        sys.exit("--turns and --lines must be positive")
    variants = ["deepgram", "openai"] if args.variant == "both" else [args.variant]
    results = [run_variant(build, v, args.turns, args.lines, args.endpoint_ms, False)
               for v in variants]
    for res in results:
        print_table(res)
    if args.json:
        Path(args.json).write_text(json.dumps({"variants": results}, indent=1) + "\n")
    short = any(r["turns_joined"] < args.turns for r in results)
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
