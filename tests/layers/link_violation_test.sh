#!/usr/bin/env bash
# The linker's layer check (cmake/KavachLayers.cmake) on a deliberate violation: a module that
# calls into a module it may not use must fail to link; declared, the same code must link.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$src/tests/layers/link_violation" -B "$tmp/bad" -DKAVACH_SOURCE_DIR="$src" -DALLOW_HIGH=OFF >/dev/null
if out=$(cmake --build "$tmp/bad" 2>&1); then
  echo "FAIL: a layer calling a module it may not use linked"; echo "$out"; exit 1
fi
grep -q "undefined reference to .*high_value" <<<"$out" ||
  { echo "FAIL: the link failed for another reason"; echo "$out"; exit 1; }
cmake -S "$src/tests/layers/link_violation" -B "$tmp/good" -DKAVACH_SOURCE_DIR="$src" -DALLOW_HIGH=ON >/dev/null
cmake --build "$tmp/good" >/dev/null || { echo "FAIL: the declared dependency did not link"; exit 1; }
echo "ok: the undeclared call fails to link (undefined high_value), the declared one links"
