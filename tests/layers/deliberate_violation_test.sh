#!/usr/bin/env bash
# The layer check must fail when a layer is crossed: copy src/, make core include a backend
# header (core depends on nothing of ours) and a backend include another backend, and expect
# scripts/check-layers to name both and exit 1. Then the untouched tree must pass.
set -euo pipefail
src=$1
checker=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src" "$tmp/src"
printf '#include "backends/process/mount_plan.hpp"\n' >> "$tmp/src/core/score.cpp"
printf '#include "backends/process/spawn.hpp"\n' >> "$tmp/src/backends/oci/spec.cpp"
if out=$(python3 "$checker" "$tmp/src"); then
  echo "FAIL: check-layers passed a tree with two layer violations"; echo "$out"; exit 1
fi
grep -q "core/score.cpp:.*module 'core' includes \"backends/process/mount_plan.hpp\"" <<<"$out" ||
  { echo "FAIL: the core -> backend include was not named"; echo "$out"; exit 1; }
grep -q "backends/oci/spec.cpp:.*module 'backends/oci' includes \"backends/process/spawn.hpp\"" <<<"$out" ||
  { echo "FAIL: the backend -> backend include was not named"; echo "$out"; exit 1; }
python3 "$checker" "$src" >/dev/null || { echo "FAIL: the real tree does not pass"; exit 1; }
echo "ok: both violations caught, the real tree passes"
