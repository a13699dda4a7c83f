#!/bin/sh
# libkavach.so exports the C API and namespace kavach, and none of the third-party code it
# instantiates (the version script src/libkavach.map). Fails on a missing C function or a
# leaked toml++/nlohmann/Boost/RE2/std symbol.
set -eu
lib=$1
syms=$(nm -D --defined-only "$lib")
status=0
for f in kavach_version kavach_sandbox_create kavach_sandbox_exec kavach_sandbox_write_file kavach_sandbox_read_file \
         kavach_sandbox_destroy kavach_scan kavach_free; do
  if ! printf '%s\n' "$syms" | grep -q " T $f\$"; then echo "missing C export: $f"; status=1; fi
done
leaked=$(nm -D --defined-only -C "$lib" | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }' |
         grep -E '^(toml::|nlohmann::|boost::|re2::|tl::|std::)' | head -5 || true)
if [ -n "$leaked" ]; then echo "third-party symbols exported:"; echo "$leaked"; status=1; fi
total=$(printf '%s\n' "$syms" | wc -l)
echo "libkavach.so exports $total symbols"
exit $status
