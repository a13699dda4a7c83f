#!/usr/bin/env bash
# Installs the built tree into a scratch prefix (not the configured one) and builds
# a consumer against it twice: through the CMake package config and through pkg-config.
set -euo pipefail
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$src/tests/install/consumer" -B "$prefix/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" -j2 >/dev/null
libpath="$prefix/lib:$prefix/lib/x86_64-linux-gnu"
LD_LIBRARY_PATH="$libpath" "$prefix/consumer-build/consumer"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
cflags=$(pkg-config --cflags kavach)
case "$cflags" in
  *"$prefix"*) ;;
  *) echo "install test: pkg-config cflags do not point into the install prefix: $cflags" >&2; exit 1 ;;
esac
# shellcheck disable=SC2046  # word splitting of pkg-config output is intended
g++ -std=c++20 "$src/tests/install/consumer/main.cpp" -o "$prefix/consumer-pc" $(pkg-config --cflags --libs kavach)
LD_LIBRARY_PATH="$libpath" "$prefix/consumer-pc"

# The CLI's own files: kavach(1), the completions where the shells look, the JSON Schemas.
for f in bin/kavach share/man/man1/kavach.1 share/bash-completion/completions/kavach \
         share/zsh/site-functions/_kavach share/fish/vendor_completions.d/kavach.fish; do
  [ -s "$prefix/$f" ] || { echo "install test: $f is missing from the install tree" >&2; exit 1; }
done
schemas=$(find "$prefix/share/kavach/json" -name '*.schema.json' | wc -l)
[ "$schemas" -eq "$(find "$src/docs/json" -name '*.schema.json' | wc -l)" ] ||
  { echo "install test: $schemas JSON Schemas installed, not every one of docs/json" >&2; exit 1; }
# The page names the configured prefix's schema directory (this test installs elsewhere).
grep -qF "share/kavach/json" "$prefix/share/man/man1/kavach.1" ||
  { echo "install test: kavach(1) does not name the schema directory" >&2; exit 1; }
man_warnings=$(MANWIDTH=80 man -l "$prefix/share/man/man1/kavach.1" 2>&1 >/dev/null || true)
[ -z "$man_warnings" ] || { echo "install test: man -l kavach.1: $man_warnings" >&2; exit 1; }
"$prefix/bin/kavach" --version | grep -q '^kavach ' || { echo "install test: kavach --version" >&2; exit 1; }
cmp -s <("$prefix/bin/kavach" completion bash) "$prefix/share/bash-completion/completions/kavach" ||
  { echo "install test: the installed bash completion differs from kavach completion bash" >&2; exit 1; }
echo "install test: ok (CMake config, pkg-config, kavach(1), completions, JSON Schemas)"
