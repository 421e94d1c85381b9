#!/usr/bin/env bash
# The project's main job, from a fresh clone: installs what is missing, builds, and runs it.
# Until the agent lands (issue 3) that job is the webhook test-vector check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${ROB_JOBS:-$(nproc)}" --target ringoverbot-vectors >/dev/null
exec build/examples/ringoverbot-vectors tests/data/webhooks.json "$@"
