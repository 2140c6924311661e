#!/usr/bin/env bash
# Packs the benchmark suite into one archive that runs on a Linux machine
# of the same architecture with neither Node nor npm nor a network: the Node
# binary running this script, the built dist/, the runtime dependencies
# (better-sqlite3 already compiled) and, when installed, bench/peers
# (Emmett). For the shard-scaling figures on a many-core machine:
#
#   npm run build && bash bench/pack-portable.sh /tmp/asynx-bench.tar.xz
#   # on the other machine:
#   mkdir b && tar -xJf asynx-bench.tar.xz -C b && cd b
#   ./node dist/bench/run.js --shards 1,2,4,8,16 --rounds 2 --peers
#
# Results are appended to bench/RESULTS.md inside the unpacked folder; copy
# that section (and bench/scaling.svg) back. The archive holds no sources.
set -euo pipefail

out=${1:?usage: bash bench/pack-portable.sh <archive.tar.xz>}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f dist/bench/run.js ] || { echo "dist/ is not built: run npm run build first" >&2; exit 1; }
[ -d node_modules/better-sqlite3 ] || { echo "node_modules is missing: run npm ci first" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

cp "$(command -v node)" "$stage/node"
cp -r dist package.json "$stage/"
rm -rf "$stage/dist/test"
mkdir -p "$stage/bench" "$stage/node_modules"
cp bench/RESULTS.md "$stage/bench/"

# Runtime dependencies only, as npm resolved them; compiler leftovers of the native module stay behind.
npm ls --omit=dev --all --parseable | tail -n +2 | while read -r dir; do
  rel=${dir#"$root"/}
  # A nested dependency came with its parent's folder.
  [ -e "$stage/$rel" ] && continue
  mkdir -p "$stage/$(dirname "$rel")"
  cp -r "$dir" "$stage/$rel"
done
rm -rf "$stage/node_modules/better-sqlite3/deps" "$stage/node_modules/better-sqlite3/src" \
  "$stage/node_modules/better-sqlite3/build/Release/obj" "$stage/node_modules/better-sqlite3/build/Release/obj.target" \
  "$stage/node_modules/better-sqlite3/build/Release/.deps"

if [ -d bench/peers/node_modules ]; then
  mkdir -p "$stage/bench/peers"
  cp bench/peers/package.json "$stage/bench/peers/"
  cp -r bench/peers/node_modules "$stage/bench/peers/"
  rm -rf "$stage/bench/peers/node_modules/sqlite3/deps" "$stage/bench/peers/node_modules/sqlite3/src" \
    "$stage/bench/peers/node_modules/sqlite3/build/Release/obj" "$stage/bench/peers/node_modules/sqlite3/build/Release/obj.target" \
    "$stage/bench/peers/node_modules/sqlite3/build/Release/.deps"
else
  echo "bench/peers is not installed: the archive runs without --peers (npm run bench -- --peers installs it)" >&2
fi

tar -cJf "$out" -C "$stage" .
echo "$out: $(du -h "$out" | cut -f1) ($(node --version), $(uname -m))"
