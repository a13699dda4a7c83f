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
echo "install test: ok (CMake config and pkg-config)"
