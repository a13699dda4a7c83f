#!/usr/bin/env python3
"""bench/cli-startup keeps working (make bench runs it): two rounds, every method exits 0, and
its JSON has the rows docs/performance.md quotes (a ratio to bwrap when bwrap is installed).
Usage: cli_startup_smoke_test.py KAVACH SOURCE_DIR. Exit 77 (skip) when not root."""
import json
import os
import subprocess
import sys


def main():
    kavach, src = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("SKIP: kavach run needs root here (the process backend's sandbox)")
        return 77
    p = subprocess.run([os.path.join(src, "bench", "cli-startup"), kavach, "--pairs", "2", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"bench/cli-startup failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    rows = {r["method"]: r for r in json.loads(p.stdout)["rows"]}
    for name in ("kavach --version", "kavach run --preset strict -- /bin/true",
                 "kavach run --preset agent -- /bin/true", "echo | kavach scan -"):
        assert name in rows, f"missing row {name!r}: {sorted(rows)}"
        assert rows[name]["fails"] == 0 and rows[name]["median_ms"] > 0, rows[name]
    if os.access("/usr/bin/bwrap", os.X_OK):
        assert rows["kavach run --preset strict -- /bin/true"]["ratio_to_bwrap"] is not None
    print("ok:", {k: v["median_ms"] for k, v in rows.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
