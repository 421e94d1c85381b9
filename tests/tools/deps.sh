#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, when they are missing.
# Idempotent and quiet when everything is there. Needs root (or sudo) only to install.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config
  libwebsockets-dev libmbedtls-dev libsimdjson-dev libopus-dev libopusenc-dev libsamplerate0-dev libspeexdsp-dev libhiredis-dev doctest-dev
  libbenchmark-dev clang libclang-rt-14-dev libwebrtc-audio-processing-dev
  libpocketsphinx-dev pocketsphinx-en-us flite1-dev flite
  pocketsphinx-testdata asterisk-core-sounds-en-wav asterisk-core-sounds-en
  python3 python3-pytest python3-pytest-xdist python3-websockets sox redis-server opus-tools
  python3-venv python3-setuptools python3-wheel
  openssl ca-certificates
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq </dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
