#!/bin/sh
# ctest examples/engine-replay: runs ringoverbot-engine-replay on a script and checks the
# conversation it prints. Usage: engine-replay-check.sh PROGRAM SCRIPT OUTPUT
set -eu
out=$3
"$1" "$2" > "$out"
fail() {
    echo "engine-replay: $1"
    cat "$out"
    exit 1
}
# The greeting streams from the first frame (the clock starts at 1 s), as 8 kHz audio.
head -n 1 "$out" | grep -Eq '^ *1\.0[0-9]+ streamAudio 8000 Hz [1-5][0-9]{2} ms$' ||
    fail "the first thing sent is not the greeting's audio"
grep -q 'turn 0: caller "" bot "Hello, this is the replay bot."' "$out" || fail "no greeting turn"
grep -q 'turn 1: caller "hello there" bot "You said: hello there." heard "You said: hello there."' \
    "$out" || fail "the first question was not answered"
grep -q 'turn 2: caller "I would like sales please" bot "Putting you through." heard "Putting you through." action 0:33182880001' \
    "$out" || fail "the sales turn is wrong"
# The transfer goes out once, after the last audio of the reply before it.
[ "$(grep -c '{"event":"transfer","data":33182880001}' "$out")" = 1 ] || fail "no single transfer"
awk '/streamAudio/ { last = NR } /"event":"transfer"/ { t = NR } END { exit !(t > last) }' "$out" ||
    fail "audio was sent after the transfer"
grep -q 'turns 2, audio messages [0-9]*, fallbacks 0$' "$out" || fail "wrong totals"
echo "engine-replay: ok ($(grep -c streamAudio "$out") audio messages)"
