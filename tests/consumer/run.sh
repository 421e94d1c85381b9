#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds and runs a consumer against it twice:
# through find_package(ringoverbot) (shared and static) and through pkg-config.
set -euo pipefail
build=$1 src=$2 work=$3 header=$4
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/build/consumer_c"
"$work/build/consumer_static"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cc -std=c99 -Wall -Werror "$src/consumer.c" $(pkg-config --cflags --libs ringoverbot) -o "$work/consumer_pc"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer_pc"
# The shared library exports the C ABI and the public C++ API only.
bad=$(nm -D --defined-only "$work/prefix/lib/libringoverbot.so" | awk '$2 ~ /[TDBRVW]/ {print $3}' |
      grep -vE '^(rob_|_ZN11ringoverbot|_ZNK11ringoverbot|_ZTV11ringoverbot|_ZTI11ringoverbot|_ZTS11ringoverbot)' || true)
if [[ -n "$bad" ]]; then echo "unexpected exported symbols:"; echo "$bad" | head -20; exit 1; fi
# Every rob_ function declared in the header is exported, and nothing else named rob_.
declared=$(tr '\n' ' ' <"$header" | grep -oE 'ROB_API [^;]*;' | grep -oE '\brob_[a-z0-9_]+ *\(' |
           tr -d '( ' | sort -u)
exported=$(nm -D --defined-only "$work/prefix/lib/libringoverbot.so" | awk '{print $3}' | grep '^rob_' | sort -u)
if [[ "$declared" != "$exported" ]]; then
  echo "header and exports differ:"; diff <(echo "$declared") <(echo "$exported"); exit 1
fi
echo "symbols ok: $(echo "$exported" | wc -l) rob_ functions, all declared"
