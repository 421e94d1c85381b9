#!/usr/bin/env bash
# The project's main command, from a fresh clone: installs what is missing, builds the agent and
# the simulated Ringover media server, starts ringoverbot-agent (local engines, no API key) on a
# free port, and runs one simulated call with a question, a barge-in and a transfer. Prints the
# per-turn table (caller said | bot said | commands | latency) and the agent's stage latencies;
# writes the call's stereo WAV (caller left, bot right) and its timeline (SVG). Exits with the
# call's status, or 3 when the agent's log does not show what the demo is for: the question
# answered, the barge-in (an interrupted reply) and the transfer.
# Extra arguments go to ringoverbot-call (e.g. --json, --inbound json, --rate 16000).
# ROB_BUILD_DIR picks the build folder (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ROB_BUILD_DIR:-build}

bash tests/tools/deps.sh
mkdir -p "$BUILD"
if ! { cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$BUILD" -j"${ROB_JOBS:-$(nproc)}" --target ringoverbot-agent ringoverbot-call
     } >"$BUILD/run-build.log" 2>&1; then
  tail -40 "$BUILD/run-build.log" >&2
  echo "run.sh: the build failed (full log: $BUILD/run-build.log)" >&2
  exit 1
fi

# The agent picks a free port itself (port 0) and names it in its first log line.
log="$BUILD/agent.log"
"$BUILD/examples/ringoverbot-agent" --listen 127.0.0.1:0 2>"$log" &
agent=$!
stop_agent() {
  if kill -0 "$agent" 2>/dev/null; then
    kill -TERM "$agent" 2>/dev/null || true
    wait "$agent" 2>/dev/null || true
  fi
}
trap stop_agent EXIT

url=
for _ in $(seq 1 300); do
  url=$(sed -n 's/.*"event":"listening","url":"\(http:\/\/[^"]*\)".*/\1/p' "$log" | head -1)
  [[ -n "$url" ]] && break
  kill -0 "$agent" 2>/dev/null || { cat "$log" >&2; echo "run.sh: the agent exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "run.sh: the agent did not start within 30 s (log: $log)" >&2; exit 1; }
health() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }
for _ in $(seq 1 100); do health "$url/health" && break; sleep 0.1; done
health "$url/health" || { echo "run.sh: $url/health does not answer" >&2; exit 1; }

echo "agent: $url (log: $log)" >&2
status=0
"$BUILD/examples/ringoverbot-call" --url "${url/http:/ws:}/ws" \
  --say "what are your opening hours" \
  --say "transfer me to sales" \
  --barge-in --out "$BUILD/demo-call.wav" --timeline "$BUILD/demo-call.svg" "$@" || status=$?

# The agent's side of each turn: what it recognised and where the time went (not with --json,
# whose output stays one JSON object).
[[ " $* " == *" --json "* ]] || python3 - "$log" <<'EOF' || true
import json, sys
rows = []
for line in open(sys.argv[1], errors="replace"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("event") != "turn":
        continue
    lat = d.get("latency_ms") or {}
    fmt = lambda k: "-" if lat.get(k) is None else f"{lat[k]:.0f}"
    rows.append(f"  turn {d.get('turn')}: heard {d.get('transcript', '')!r}; stt {fmt('stt')} "
                f"+ llm {fmt('llm_first_token')} + tts {fmt('tts_first_audio')} "
                f"+ send {fmt('first_frame')} = {fmt('total')} ms")
if rows:
    print("\nagent (end of speech -> STT final -> first LLM token -> first TTS audio -> first frame):")
    print("\n".join(rows))
EOF
stop_agent

# The demo checks itself on the agent's turn log: the question answered, the reply interrupted by
# the caller's barge-in, and the transfer sent.
if ! python3 - "$log" <<'EOF'
import json, sys
turns = []
for line in open(sys.argv[1], errors="replace"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("event") == "turn":
        turns.append(d)
missing = []
if not any(t.get("reply", "").startswith("We are open") for t in turns):
    missing.append("the answer to the question")
if not any(t.get("interrupted") for t in turns):
    missing.append("the barge-in")
if not any(a.get("kind") == "transfer" for t in turns for a in t.get("actions") or []):
    heard = [t.get("transcript") for t in turns if t.get("turn", 0) >= 2]
    missing.append(f"the transfer (heard {heard})")
if missing:
    sys.exit("run.sh: the demo call lacks " + ", ".join(missing))
EOF
then
  [[ "$status" -ne 0 ]] || status=3
fi
exit "$status"
