#!/usr/bin/env python3
"""Soak (without the warm pool, whose live sessions would blur the count): 500 sessions created and destroyed and 5,000 execs from 16 concurrent clients against one
real daemon, then nothing may be left behind — the daemon's descriptors and threads, processes
under it, host mounts, cgroups, kavach's state directories — and its RSS growth is reported.

usage: soak_test.py KAVACH_BINARY SOURCE_DIR [SESSIONS EXECS CLIENTS]
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

KAVACH, SOURCE = sys.argv[1], os.path.abspath(sys.argv[2])
SESSIONS, EXECS, CLIENTS = (int(x) for x in (sys.argv[3:6] if len(sys.argv) >= 6 else (500, 5000, 16)))
sys.path.insert(0, os.path.join(SOURCE, "sdk", "python"))
import kavach  # noqa: E402
import kavach.session  # noqa: E402

STATE_DIRS = ["/run/kavach", "/tmp", "/sys/fs/cgroup"]


def descendants(root):
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(pid))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cgroups():
    found = set()
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            path = os.path.join(top, d)
            if "kavach" in path or "run-" in d:
                found.add(path)
    return found


def kavach_files():
    names = set()
    for d in ("/tmp", "/run/kavach", "/run", "/var/tmp"):
        try:
            names |= {os.path.join(d, n) for n in os.listdir(d) if "kavach" in n}
        except OSError:
            pass
    return names


def snapshot(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    with open("/proc/self/mountinfo") as f:
        mounts = len(f.readlines())
    return {"fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(status["Threads"]),
            "rss_kib": int(status["VmRSS"].split()[0]), "descendants": len(descendants(pid)),
            "mounts": mounts, "cgroups": cgroups(), "files": kavach_files()}


def main():
    tmp = tempfile.mkdtemp(prefix="kavach-soak-")
    sock = os.path.join(tmp, "k.sock")
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    d = subprocess.Popen([KAVACH, "daemon", "--foreground", "--socket", sock, "--max-sessions", "64",
                          "--max-sessions-per-uid", "64", "--pool", "0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        # Warm-up: first-use allocations (gate database, thread pools) are not leaks.
        for _ in range(3):
            with kavach.Session(preset="strict", socket=sock) as s:
                s.exec(["true"])
        time.sleep(0.5)
        before = snapshot(d.pid)
        before_files = before["files"] - {tmp}
        errors = []
        done = {"sessions": 0, "execs": 0}
        lock = threading.Lock()
        per_session = EXECS // SESSIONS

        def client(n):
            for i in range(n, SESSIONS, CLIENTS):
                try:
                    with kavach.Session(preset="strict", socket=sock) as s:
                        for k in range(per_session):
                            r = s.exec(["sh", "-c", f"echo {i}-{k}"])
                            if r.exit_code != 0 or r.stdout != f"{i}-{k}\n":
                                raise RuntimeError(f"exec {i}-{k}: {r.exit_code} {r.stdout!r} {r.stderr!r}")
                            with lock:
                                done["execs"] += 1
                    with lock:
                        done["sessions"] += 1
                except Exception as e:  # noqa: BLE001 - every failure is reported
                    errors.append(f"session {i}: {e}")

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        time.sleep(1.0)  # the sweeper and teardown threads finish
        after = snapshot(d.pid)
        print(f"{done['sessions']} sessions, {done['execs']} execs from {CLIENTS} clients in {elapsed:.1f} s "
              f"({done['execs'] / elapsed:.0f} execs/s, {done['sessions'] / elapsed:.1f} sessions/s)")
        print(f"daemon RSS {before['rss_kib']} KiB -> {after['rss_kib']} KiB "
              f"(+{after['rss_kib'] - before['rss_kib']} KiB); fds {before['fds']} -> {after['fds']}; "
              f"threads {before['threads']} -> {after['threads']}")
        failures = errors[:5]
        if done["sessions"] != SESSIONS or done["execs"] != per_session * SESSIONS:
            failures.append(f"ran {done['sessions']} sessions / {done['execs']} execs")
        for key in ("fds", "threads", "descendants", "mounts"):
            if after[key] != before[key]:
                failures.append(f"{key}: {before[key]} before, {after[key]} after")
        if after["cgroups"] - before["cgroups"]:
            failures.append(f"cgroups left: {sorted(after['cgroups'] - before['cgroups'])[:5]}")
        left = (after["files"] - {tmp}) - before_files
        if left:
            failures.append(f"files left: {sorted(left)[:5]}")
        if not d.poll() is None:
            failures.append("the daemon died")
        if failures:
            log.seek(0)
            print("FAILED:\n  " + "\n  ".join(failures) + "\n" + log.read()[-2000:])
            return 1
        print("no leaked descriptors, threads, processes, mounts, cgroups or files")
        return 0
    finally:
        if d.poll() is None:
            d.send_signal(signal.SIGTERM)
            d.wait(timeout=60)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
