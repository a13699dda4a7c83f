"""Sessions through `kavach daemon` (docs/daemon.md): a sandbox that lives across commands.

Standard library only (http.client over the daemon's unix socket). The socket is found through
the `socket` argument, then $KAVACH_HOST (unix:///path), then /run/kavach/kavach.sock for root
or $XDG_RUNTIME_DIR/kavach.sock.

    with kavach.Session(preset="agent", rw=["/home/agent/repo"]) as s:
        s.exec(["sh", "-c", "python3 -m http.server 8000 >/dev/null 2>&1 &"])   # keeps running
        r = s.exec(["pytest", "-q"])
        print(r.exit_code, r.stdout)
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import urllib.parse
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from kavach import KavachError, Result, _command, _config, _file_content, _result


def default_socket() -> str:
    host = os.environ.get("KAVACH_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if host:
        raise KavachError({"code": "invalid_argument", "message": f"KAVACH_HOST must be unix:///path, not {host}"})
    if os.geteuid() == 0:
        return "/run/kavach/kavach.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime:
        raise KavachError({"code": "invalid_argument",
                           "message": "no daemon socket: set KAVACH_HOST=unix:///path or XDG_RUNTIME_DIR"})
    return os.path.join(runtime, "kavach.sock")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: Optional[float]):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class Client:
    """One connection to the daemon; requests raise KavachError with the daemon's error object."""

    def __init__(self, socket_path: Optional[str] = None, timeout: Optional[float] = None):
        self.socket_path = socket_path or default_socket()
        self._timeout = timeout

    def _open(self, method: str, path: str, body: Optional[bytes], content_type: str) -> Tuple[_UnixConnection, http.client.HTTPResponse]:
        conn = _UnixConnection(self.socket_path, self._timeout)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": content_type} if body is not None else {})
            return conn, conn.getresponse()
        except OSError as e:
            conn.close()
            raise KavachError({"code": "daemon_unreachable",
                               "message": f"kavach daemon at {self.socket_path}: {e}"}) from e

    def request(self, method: str, path: str, body: Any = None, raw: Optional[bytes] = None) -> Dict[str, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        conn, resp = self._open(method, path, data, "application/octet-stream" if raw is not None else "application/json")
        try:
            payload = resp.read()
        finally:
            conn.close()
        try:
            answer = json.loads(payload) if payload else {}
        except ValueError:
            answer = {"error": {"code": "bad_response", "message": payload[:200].decode("utf-8", "replace")}}
        if resp.status >= 400:
            raise KavachError(dict(answer.get("error", {"code": "http_" + str(resp.status)}), status=resp.status))
        return answer

    def stream(self, path: str, body: Any) -> Iterator[Dict[str, Any]]:
        conn, resp = self._open("POST", path, json.dumps(body).encode(), "application/json")
        try:
            if resp.status >= 400:
                answer = json.loads(resp.read() or b"{}")
                raise KavachError(dict(answer.get("error", {"code": "http_" + str(resp.status)}), status=resp.status))
            for line in resp:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    def health(self) -> Dict[str, Any]:
        return self.request("GET", "/health")


class Session:
    """A sandbox held by the daemon across commands: processes started by one exec (a server, a
    REPL) are there for the next, files persist, several execs may run at once (one Session per
    thread is not needed: each call opens its own connection).

    Takes Sandbox's arguments (preset, policy, backend, rw, ro, network, memory_mb, timeout_ms
    (per exec), gate) plus idle_timeout_ms and max_lifetime_ms; `socket` picks the daemon.
    """

    def __init__(self, preset: str = "agent", *, policy: Optional[Mapping[str, Any]] = None,
                 backend: str = "process", rw: Sequence[str] = (), ro: Sequence[str] = (),
                 network: Optional[str] = None, memory_mb: Optional[int] = None,
                 timeout_ms: Optional[int] = None, gate: bool = True,
                 idle_timeout_ms: Optional[int] = None, max_lifetime_ms: Optional[int] = None,
                 socket: Optional[str] = None):
        self._client = Client(socket)
        body = _config(preset, policy, backend, rw, ro, network, memory_mb, timeout_ms, gate)
        if idle_timeout_ms is not None:
            body["idle_timeout_ms"] = idle_timeout_ms
        if max_lifetime_ms is not None:
            body["max_lifetime_ms"] = max_lifetime_ms
        self.info: Dict[str, Any] = self._client.request("POST", "/v1/sessions", body)
        self.id: str = self.info["id"]
        self._closed = False

    def _path(self, suffix: str = "") -> str:
        return f"/v1/sessions/{self.id}{suffix}"

    def exec(self, argv: Sequence[str], *, env: Optional[Mapping[str, str]] = None,
             stdin: Optional[Union[str, bytes]] = None) -> Result:
        """Runs `argv` in the session to completion (its background children stay)."""
        return _result(self._client.request("POST", self._path("/exec"), _command(argv, env, stdin)))

    def stream(self, argv: Sequence[str], *, env: Optional[Mapping[str, str]] = None,
               stdin: Optional[Union[str, bytes]] = None,
               keep_on_disconnect: bool = False) -> Iterator[Tuple[str, Union[bytes, Result]]]:
        """Yields ("stdout" | "stderr", bytes) while the command runs (after the gate), then
        ("result", Result). Leaving the loop early kills the command unless keep_on_disconnect."""
        body = _command(argv, env, stdin)
        body["stream"] = True
        body["on_disconnect"] = "keep" if keep_on_disconnect else "kill"
        for event in self._client.stream(self._path("/exec"), body):
            kind = event.get("type")
            if kind in ("stdout", "stderr"):
                data = base64.b64decode(event["data_b64"]) if "data_b64" in event else event["data"].encode("utf-8")
                yield kind, data
            elif kind == "result":
                yield "result", _result(event["result"])
            elif kind == "error":
                raise KavachError(event["error"])

    def write_file(self, path: str, data: Union[str, bytes]) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._client.request("PUT", self._path("/files?path=" + urllib.parse.quote(path, safe="")), raw=raw)

    def read_file(self, path: str) -> bytes:
        """Through the gate: a block verdict raises output_blocked, quarantine output_quarantined."""
        return _file_content(self.read_file_report(path), path)

    def read_file_report(self, path: str) -> Dict[str, Any]:
        return self._client.request("GET", self._path("/files?path=" + urllib.parse.quote(path, safe="")))

    def pause(self) -> None:
        self._client.request("POST", self._path("/pause"))

    def resume(self) -> None:
        self._client.request("POST", self._path("/resume"))

    def inspect(self) -> Dict[str, Any]:
        """State, owner, metrics (processes, cpu_ms, rss_bytes, bytes_out, execs)."""
        return self._client.request("GET", self._path())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._client.request("DELETE", self._path())
            except KavachError as e:
                if e.code != "not_found":  # already ended (idle timeout, lifetime)
                    raise

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
