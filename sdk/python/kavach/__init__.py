"""Run untrusted code in a kavach sandbox from Python.

Standard library only: the package talks to libkavach's C API (include/kavach/kavach.h) through
ctypes, so nothing is compiled at install time. The library is found through $KAVACH_LIBRARY,
then the system's library path (libkavach.so.0, installed by `cmake --install`).

    import kavach
    with kavach.Sandbox(preset="agent", rw=["/home/agent/repo"]) as s:
        r = s.exec(["pytest", "-q"])
        print(r.exit_code, r.stdout, r.score, r.verdict)

Every run is confined as the preset or policy says (namespaces, seccomp, Landlock, cgroups), its
output passes kavach's externalization gate (secrets redacted, a verdict), and a failure to set
up the sandbox raises KavachError carrying the library's error object.
"""
from __future__ import annotations

import base64
import ctypes
import ctypes.util
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence, Union

__all__ = ["KavachError", "Result", "Sandbox", "Session", "scan", "version"]


class KavachError(Exception):
    """An error from kavach: `code` (e.g. "policy_value"), `message`, `context` (key, path...)."""

    def __init__(self, error: Mapping[str, Any]):
        self.error = dict(error)
        self.code: str = self.error.get("code", "internal")
        self.message: str = self.error.get("message", "")
        self.context: Dict[str, str] = dict(self.error.get("context", {}))
        super().__init__(f"[{self.code}] {self.message}")


@dataclass
class Result:
    """One finished command: its status, its (gated) output, and how strongly it was contained."""

    exit_code: Optional[int]
    signal: Optional[int]
    stdout_bytes: bytes
    stderr_bytes: bytes
    timed_out: bool
    score: Optional[int]  # 0-100, from what was enforced; None when nothing ran
    verdict: str  # the gate's: pass, warn, quarantine, block (or disabled)
    raw: Dict[str, Any] = field(repr=False)  # everything `kavach run --json` reports

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def _config(preset: str, policy: Optional[Mapping[str, Any]], backend: str, rw: Sequence[str],
            ro: Sequence[str], network: Optional[str], memory_mb: Optional[int], timeout_ms: Optional[int],
            gate: bool) -> Dict[str, Any]:
    """The config JSON the C API and the daemon read (sandbox/request_json.cpp)."""
    p: Dict[str, Any] = json.loads(json.dumps(policy)) if policy is not None else {"extends": preset}
    fs = p.setdefault("fs", {})
    if rw:
        fs["writable_paths_add"] = [os.path.realpath(d) for d in rw]
        fs.setdefault("workdir", os.path.realpath(rw[0]))
    if ro:
        fs["readonly_paths_add"] = [os.path.realpath(d) for d in ro]
    if not fs:
        del p["fs"]
    if network is not None:
        p.setdefault("network", {})["mode"] = network
    limits = {}
    if memory_mb is not None:
        limits["memory"] = memory_mb << 20
    if timeout_ms is not None:
        limits["wall_timeout_ms"] = timeout_ms
    if limits:
        p.setdefault("limits", {}).update(limits)
    return {"backend": backend, "policy": p, "gate": gate}


def _command(argv: Sequence[str], env: Optional[Mapping[str, str]],
             stdin: Optional[Union[str, bytes]]) -> Dict[str, Any]:
    command: Dict[str, Any] = {"argv": list(argv)}
    if env:
        command["env"] = dict(env)
    if stdin is not None:
        command["stdin"] = stdin.decode("utf-8") if isinstance(stdin, bytes) else stdin
    return command


def _result(r: Dict[str, Any]) -> Result:
    """A Result from the run JSON (kavach run --json, the C API, the daemon)."""
    def exact(name: str) -> bytes:
        b64 = r.get(name + "_b64")
        return base64.b64decode(b64) if b64 is not None else r.get(name, "").encode("utf-8")

    score = r.get("score")
    return Result(exit_code=r.get("exit_code"), signal=r.get("signal"), stdout_bytes=exact("stdout"),
                  stderr_bytes=exact("stderr"), timed_out=bool(r.get("timed_out")),
                  score=score.get("value") if isinstance(score, dict) else None,
                  verdict=r.get("gate", {}).get("verdict", "disabled"), raw=r)


def _file_content(r: Dict[str, Any], path: str) -> bytes:
    """The bytes of a read_file answer; a block verdict raises output_blocked."""
    if r["release"] == "withheld":
        raise KavachError({"code": "output_blocked", "message": f"{path}: the gate's verdict is block",
                           "context": {"path": r["path"]}})
    return base64.b64decode(r["content_b64"]) if "content_b64" in r else r["content"].encode("utf-8")


_lib_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            path = os.environ.get("KAVACH_LIBRARY") or ctypes.util.find_library("kavach") or "libkavach.so.0"
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                raise KavachError({"code": "runtime_missing",
                                   "message": f"libkavach not found ({path}): install kavach or set KAVACH_LIBRARY ({e})"})
            out = ctypes.POINTER(ctypes.c_void_p)
            lib.kavach_version.restype = ctypes.c_char_p
            lib.kavach_sandbox_create.argtypes = [ctypes.c_char_p, out, out]
            lib.kavach_sandbox_exec.argtypes = [ctypes.c_void_p, ctypes.c_char_p, out]
            lib.kavach_sandbox_destroy.argtypes = [ctypes.c_void_p]
            lib.kavach_sandbox_write_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, out]
            lib.kavach_sandbox_read_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, out]
            lib.kavach_scan.argtypes = [ctypes.c_char_p, ctypes.c_size_t, out]
            lib.kavach_free.argtypes = [ctypes.c_void_p]
            _lib = lib
        return _lib


def _take(lib: ctypes.CDLL, ptr: ctypes.c_void_p) -> Dict[str, Any]:
    """The library's JSON string as a dict; the string is freed."""
    if not ptr.value:
        raise KavachError({"code": "internal", "message": "the library returned no JSON"})
    try:
        return json.loads(ctypes.string_at(ptr.value).decode("utf-8"))
    finally:
        lib.kavach_free(ptr)


def _call(fn, *args) -> Dict[str, Any]:
    out = ctypes.c_void_p()
    rc = fn(*args, ctypes.byref(out))
    data = _take(_library(), out) if out.value else {}
    if rc != 0:
        raise KavachError(data.get("error", {"code": "internal", "message": "call failed"}))
    return data


def version() -> str:
    return _library().kavach_version().decode()


class Sandbox:
    """A sandbox: one policy, one backend; `exec` runs commands in it, each to completion.

    `preset` names kavach's presets (minimal, basic, strict, agent); `policy` instead takes the
    keys of a policy file as a dict ({"extends": "strict", "limits": {"memory": "1G"}}). The
    shortcuts add to either: `rw` (host directories writable inside, the first is the working
    directory), `ro` (read-only), `network` (off, loopback, allowlist, host), `memory_mb`,
    `timeout_ms`. `gate=False` switches the externalization gate off (audited).
    """

    def __init__(self, preset: str = "agent", *, policy: Optional[Mapping[str, Any]] = None,
                 backend: str = "process", rw: Sequence[str] = (), ro: Sequence[str] = (),
                 network: Optional[str] = None, memory_mb: Optional[int] = None,
                 timeout_ms: Optional[int] = None, gate: bool = True):
        config = _config(preset, policy, backend, rw, ro, network, memory_mb, timeout_ms, gate)
        lib = _library()
        self._lib = lib
        self._handle = ctypes.c_void_p()
        err = ctypes.c_void_p()
        if lib.kavach_sandbox_create(json.dumps(config).encode(), ctypes.byref(self._handle), ctypes.byref(err)) != 0:
            raise KavachError(_take(lib, err).get("error", {}))

    def exec(self, argv: Sequence[str], *, env: Optional[Mapping[str, str]] = None,
             stdin: Optional[Union[str, bytes]] = None) -> Result:
        """Runs `argv` to completion. A non-zero exit is a Result, not an exception."""
        self._require_open()
        command = _command(argv, env, stdin)
        return _result(_call(self._lib.kavach_sandbox_exec, self._handle, json.dumps(command).encode()))

    def write_file(self, path: str, data: Union[str, bytes]) -> None:
        """Puts a file into a writable directory (relative: below the working directory)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._require_open()
        out = ctypes.c_void_p()
        if self._lib.kavach_sandbox_write_file(self._handle, os.fsencode(path), raw, len(raw), ctypes.byref(out)) != 0:
            raise KavachError(_take(self._lib, out).get("error", {}))

    def read_file(self, path: str) -> bytes:
        """A file the sandbox wrote, through the gate: its redacted bytes. A block verdict raises
        KavachError("output_blocked"); `read_file_report` gives the verdict as well."""
        return _file_content(self.read_file_report(path), path)

    def read_file_report(self, path: str) -> Dict[str, Any]:
        """{"path", "bytes", "release", "verdict", "findings", "content" or "content_b64"}."""
        self._require_open()
        return _call(self._lib.kavach_sandbox_read_file, self._handle, os.fsencode(path))

    def _require_open(self) -> None:
        if not self._handle:
            raise KavachError({"code": "invalid_transition", "message": "the sandbox is closed"})

    def close(self) -> None:
        """Stops and destroys the sandbox (idempotent)."""
        if self._handle:
            self._lib.kavach_sandbox_destroy(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def scan(data: Union[str, bytes]) -> Dict[str, Any]:
    """The gate on a buffer: {"verdict", "findings", "redacted", ...}."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return _call(_library().kavach_scan, raw, len(raw))


from kavach.session import Session  # noqa: E402  (uses the helpers above)
