#!/usr/bin/env python3
"""kavach daemon end to end: the real binary on a private socket, driven by the Python SDK and
by raw HTTP. Every JSON answer is validated against docs/api/openapi.yaml (OpenAPI 3.1 schemas,
python3-jsonschema + python3-yaml from Debian).

usage: daemon_test.py KAVACH_BINARY SOURCE_DIR [unittest args]
"""
import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

KAVACH = sys.argv[1] if len(sys.argv) > 1 else "kavach"
SOURCE = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else ".")
sys.path.insert(0, os.path.join(SOURCE, "sdk", "python"))
import kavach  # noqa: E402
from kavach.session import Client  # noqa: E402

NOBODY = 65534


def load_openapi():
    import jsonschema
    import yaml
    with open(os.path.join(SOURCE, "docs", "api", "openapi.yaml")) as f:
        doc = yaml.safe_load(f)
    assert doc["openapi"].startswith("3.1"), doc["openapi"]
    resolver = jsonschema.RefResolver.from_schema(doc)

    def validator(schema):
        return jsonschema.Draft202012Validator(schema, resolver=resolver)
    return doc, validator


OPENAPI, VALIDATOR = load_openapi()


def response_schema(path_template, method, status, content_type="application/json"):
    op = OPENAPI["paths"][path_template][method]
    resp = op["responses"][str(status)]
    if "$ref" in resp:
        resp = OPENAPI["components"]["responses"][resp["$ref"].split("/")[-1]]
    return resp["content"][content_type]["schema"]


def raw(sock_path, method, target, body=None, headers=None, timeout=30):
    """One request on a fresh connection: (status, headers, bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    conn = http.client.HTTPConnection("localhost")
    conn.sock = s
    conn.request(method, target, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


class Daemon:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="kavach-daemon-test-")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "kavach.sock")
        self.log = open(os.path.join(self.dir, "daemon.log"), "w+")
        self.proc = subprocess.Popen([KAVACH, "daemon", "--foreground", "--socket", self.socket, *args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(self.socket):
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("daemon did not start: " + self.logs())

    def logs(self):
        self.log.seek(0)
        return self.log.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", self.dir])


def host_processes(cmdline):
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read() == cmdline:
                        n += 1
            except OSError:
                pass
    return n


class DaemonApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("--max-sessions", "4", "--max-request-bytes", "65536")
        cls.client = Client(cls.d.socket)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def check(self, answer, path, method, status, content_type="application/json"):
        VALIDATOR(response_schema(path, method, status, content_type)).validate(answer)

    def test_health_and_metrics(self):
        status, headers, body = raw(self.d.socket, "GET", "/health")
        self.assertEqual(status, 200)
        self.check(json.loads(body), "/health", "get", 200)
        status, headers, body = raw(self.d.socket, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("text/plain", headers["Content-Type"])
        self.assertIn("# TYPE kavach_sessions gauge", body.decode())

    def test_session_lifecycle_through_the_sdk(self):
        with kavach.Session(preset="strict", socket=self.d.socket) as s:
            self.check(s.info, "/v1/sessions", "post", 201)
            r = s.exec(["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!; echo kept > /tmp/state"])
            self.assertEqual(r.exit_code, 0, r.stderr)
            self.assertIsNotNone(r.score)
            self.check(r.raw, "/v1/sessions/{id}/exec", "post", 200)
            pid = r.stdout.strip()
            r2 = s.exec(["sh", "-c", f"kill -0 {pid} && echo alive; cat /tmp/state"])
            self.assertEqual(r2.stdout, "alive\nkept\n")
            info = s.inspect()
            self.check(info, "/v1/sessions/{id}", "get", 200)
            self.assertEqual(info["state"], "running")
            self.assertGreaterEqual(info["metrics"]["processes"], 1)
            s.pause()
            self.assertEqual(s.inspect()["state"], "paused")
            with self.assertRaises(kavach.KavachError) as e:
                s.exec(["true"])
            self.assertEqual(e.exception.code, "invalid_transition")
            s.resume()
            self.assertEqual(s.exec(["true"]).exit_code, 0)
            sid = s.id
        status, _, body = raw(self.d.socket, "GET", f"/v1/sessions/{sid}")
        self.assertEqual(status, 404)
        self.check(json.loads(body), "/v1/sessions/{id}", "get", 404)

    def test_streamed_exec_arrives_while_the_command_runs(self):
        with kavach.Session(preset="strict", socket=self.d.socket) as s:
            seen = []
            t0 = time.monotonic()
            for kind, data in s.stream(["sh", "-c", "echo one; sleep 1; echo two"]):
                seen.append((kind, time.monotonic() - t0, data))
            self.assertEqual(seen[0][0], "stdout")
            self.assertEqual(seen[0][2], b"one\n")
            self.assertLess(seen[0][1], 0.9, "the first line waited for the command to end")
            self.assertEqual(seen[-1][0], "result")
            self.assertEqual(seen[-1][2].exit_code, 0)
            self.check(seen[-1][2].raw, "/v1/sessions/{id}/exec", "post", 200)

    def test_a_client_that_disconnects_kills_its_command(self):
        with kavach.Session(preset="strict", socket=self.d.socket) as s:
            events = s.stream(["sh", "-c", "echo go; exec sleep 612345"])
            kind, data = next(events)
            self.assertEqual(data, b"go\n")
            events.close()  # the connection goes away mid-exec
            marker = b"sleep\x00612345\x00"
            for _ in range(100):
                if s.inspect()["metrics"]["running_execs"] == 0 and host_processes(marker) == 0:
                    break
                time.sleep(0.05)
            self.assertEqual(s.inspect()["metrics"]["running_execs"], 0)
            self.assertEqual(host_processes(marker), 0)

    def test_a_client_that_does_not_read_holds_up_nobody_else(self):
        with kavach.Session(preset="strict", socket=self.d.socket) as slow, \
                kavach.Session(preset="strict", socket=self.d.socket) as other:
            body = json.dumps({"argv": ["sh", "-c", "yes | head -c 50000000"], "stream": True}).encode()
            stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            stuck.connect(self.d.socket)
            stuck.sendall(b"POST /v1/sessions/" + slow.id.encode() + b"/exec HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                          b"\r\n\r\n" + body)
            time.sleep(1.0)  # its output fills the socket; the client reads nothing
            t0 = time.monotonic()
            self.assertEqual(Client(self.d.socket).health()["status"], "ok")
            self.assertEqual(other.exec(["echo", "free"]).stdout, "free\n")
            self.assertEqual(len(Client(self.d.socket).request("GET", "/v1/sessions")["sessions"]) >= 2, True)
            self.assertLess(time.monotonic() - t0, 5.0, "a stalled stream held up the daemon")
            stuck.close()

    def test_files_in_and_out_through_the_gate(self):
        work = tempfile.mkdtemp(prefix="kavach-daemon-files-")
        try:
            with kavach.Session(preset="strict", rw=[work], socket=self.d.socket) as s:
                s.write_file("in.txt", "hello\n")
                r = s.exec(["sh", "-c", "tr a-z A-Z < in.txt > out.txt"])
                self.assertEqual(r.exit_code, 0, r.stderr)
                self.assertEqual(s.read_file("out.txt"), b"HELLO\n")
                self.check(s.read_file_report("out.txt"), "/v1/sessions/{id}/files", "get", 200)
                key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                                     capture_output=True, check=True).stdout
                s.write_file("key.pem", key)
                status, _, body = raw(self.d.socket, "GET", f"/v1/sessions/{s.id}/files?path=key.pem")
                self.assertEqual(status, 403, body)
                answer = json.loads(body)
                self.check(answer, "/v1/sessions/{id}/files", "get", 403)
                self.assertEqual(answer["error"]["code"], "output_blocked")
                self.assertNotIn("PRIVATE KEY", body.decode())
                with self.assertRaises(kavach.KavachError) as e:
                    s.read_file("key.pem")
                self.assertEqual(e.exception.code, "output_blocked")
                status, _, body = raw(self.d.socket, "PUT", f"/v1/sessions/{s.id}/files?path=big", body=b"x" * 100000)
                self.assertEqual(status, 413)
                self.check(json.loads(body), "/v1/sessions/{id}/files", "put", 413)
        finally:
            subprocess.run(["rm", "-rf", work])

    def test_the_warm_pool_serves_its_configuration_once_each_and_refills(self):
        client = Client(self.d.socket)
        for _ in range(500):
            if client.health()["pool"]["ready"] == 2:
                break
            time.sleep(0.01)
        self.assertEqual(client.health()["pool"], {"size": 2, "ready": 2})
        a = kavach.Session(preset="strict", socket=self.d.socket)
        b = kavach.Session(preset="strict", socket=self.d.socket)
        work = tempfile.mkdtemp(prefix="kavach-daemon-cold-")
        c = kavach.Session(preset="strict", rw=[work], socket=self.d.socket)  # another configuration
        try:
            self.assertEqual((a.info["start"], b.info["start"], c.info["start"]), ("warm", "warm", "cold"))
            self.assertNotEqual(a.id, b.id)
            a.exec(["sh", "-c", "echo mine > /tmp/owner"])
            self.assertEqual(b.exec(["sh", "-c", "cat /tmp/owner 2>&1 || true"]).stdout.find("mine"), -1)
        finally:
            for s in (a, b, c):
                s.close()
            subprocess.run(["rm", "-rf", work])
        for _ in range(500):
            if client.health()["pool"]["ready"] == 2:
                break
            time.sleep(0.01)
        self.assertEqual(client.health()["pool"]["ready"], 2)
        d = kavach.Session(preset="strict", socket=self.d.socket)
        self.assertEqual(d.exec(["sh", "-c", "cat /tmp/owner 2>&1 || true"]).stdout.find("mine"), -1)
        d.close()

    def test_the_session_limit_answers_429(self):
        opened = []
        try:
            with self.assertRaises(kavach.KavachError) as e:
                for _ in range(5):
                    opened.append(kavach.Session(preset="strict", socket=self.d.socket))
            self.assertEqual(e.exception.code, "too_many_sessions")
            self.assertEqual(e.exception.error["status"], 429)
            self.assertEqual(len(opened), 4)
        finally:
            for s in opened:
                s.close()

    # Bad requests get a 4xx and an error object, never a crash.
    def test_malformed_requests(self):
        sid = kavach.Session(preset="strict", socket=self.d.socket, idle_timeout_ms=60000).id
        bodies = [b"", b"not json", b"[]", b"42", b'"x"', b"{", b"\xff\xfe", b"{" * 100000, b'{"argv": []}',
                  b'{"argv": "ls"}', b'{"argv": [1]}', b'{"argv": ["true"], "env": []}', b'{"argv": ["true"], "x": 1}',
                  b'{"argv": ["a\\u0000b"]}', b'{"argv": ["true"], "stream": "yes"}',
                  b'{"argv": ["true"], "on_disconnect": "maybe"}', b'{"argv": ["true"], "stdin": 5}',
                  json.dumps({"argv": ["x" * 10]} | {"env": {"A": 1}}).encode()]
        creates = [b"[]", b'{"preset": "nope"}', b'{"preset": 1}', b'{"backend": "nope"}', b'{"policy": {"limits": {"memory": -1}}}',
                   b'{"policy": {"unknown": 1}}', b'{"preset": "strict", "policy": {}}', b'{"rw": "x"}',
                   b'{"idle_timeout_ms": -5}', b'{"max_lifetime_ms": 0}', b'{"policy": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                   b'{"policy": {"seccomp": {"deny": ["no_such_syscall"]}}}', b'{"ro": ["/nonexistent/x"]}']
        cases = [("POST", f"/v1/sessions/{sid}/exec", b) for b in bodies]
        cases += [("POST", "/v1/sessions", b) for b in creates]
        cases += [("GET", "/nowhere", None), ("PATCH", "/v1/sessions", None), ("GET", "/v1/sessions/nope", None),
                  ("GET", f"/v1/sessions/{sid}/files", None), ("GET", f"/v1/sessions/{sid}/files?path=%zz", None),
                  ("GET", f"/v1/sessions/{sid}/files?path=../../etc/passwd", None),
                  ("GET", f"/v1/sessions/{sid}/files?path=/etc/shadow", None),
                  ("PUT", f"/v1/sessions/{sid}/nothing", b"x"), ("DELETE", "/health", None)]
        for method, target, body in cases:
            with self.subTest(method=method, target=target[:60], body=(body or b"")[:60]):
                status, _, answer = raw(self.d.socket, method, target, body=body)
                self.assertGreaterEqual(status, 400)
                self.assertLess(status, 500, answer[:300])
                VALIDATOR(OPENAPI["components"]["schemas"]["Error"]).validate(json.loads(answer))
        # Not HTTP at all.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.d.socket)
        s.sendall(b"\x00\x01garbage\r\n\r\n")
        s.recv(4096)
        s.close()
        self.assertTrue(self.d.alive(), self.d.logs())
        self.assertEqual(raw(self.d.socket, "GET", "/health")[0], 200)
        raw(self.d.socket, "DELETE", f"/v1/sessions/{sid}")


def as_nobody(code, sock):
    """Runs `code` (Python) as uid/gid 65534 with the SDK importable; returns its stdout."""
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "sdk", "python"), KAVACH_HOST="unix://" + sock)
    r = subprocess.run(["/usr/bin/python3", "-c", code], user=NOBODY, group=NOBODY, extra_groups=[], env=env,
                       capture_output=True, text=True, timeout=60, cwd="/")
    return r.returncode, r.stdout + r.stderr


class SessionCli(unittest.TestCase):
    """kavach session ...: the CLI as the daemon's client."""

    def test_create_exec_cp_ls_pause_rm(self):
        d = Daemon()
        work = tempfile.mkdtemp(prefix="kavach-cli-session-")
        env = dict(os.environ, KAVACH_HOST="unix://" + d.socket)

        def k(*args, stdin=None):
            r = subprocess.run([KAVACH, "session", *args], input=stdin, capture_output=True, env=env, timeout=60)
            return r.returncode, r.stdout.decode(), r.stderr.decode()
        try:
            rc, sid, err = k("create", "--preset", "strict", "--rw", work)
            self.assertEqual(rc, 0, err)
            sid = sid.strip()
            rc, out, err = k("exec", sid, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
            self.assertEqual((rc, out, err), (3, "out\n", "err\n"))
            rc, out, _ = k("exec", sid, "--", "tr", "a-z", "A-Z", stdin=b"piped\n")
            self.assertEqual((rc, out), (0, "PIPED\n"))
            local = os.path.join(work, "..", os.path.basename(work) + "-local.txt")
            with open(local, "w") as f:
                f.write("data\n")
            self.assertEqual(k("cp", local, sid + ":in.txt")[0], 0)
            os.unlink(local)
            self.assertEqual(k("exec", sid, "--", "sh", "-c", "tr a-z A-Z < in.txt > out.txt")[0], 0)
            rc, out, err = k("cp", sid + ":out.txt", "-")
            self.assertEqual((rc, out), (0, "DATA\n"), err)
            rc, out, _ = k("ls", "--json")
            self.assertEqual([x["id"] for x in json.loads(out)["sessions"]], [sid])
            self.assertEqual(k("pause", sid)[0], 0)
            rc, _, err = k("exec", sid, "--", "true")
            self.assertNotEqual(rc, 0)
            self.assertIn("paused", err)
            self.assertEqual(k("resume", sid)[0], 0)
            rc, out, _ = k("inspect", sid, "--json")
            self.assertEqual(json.loads(out)["state"], "running")
            self.assertEqual(k("rm", sid)[0], 0)
            rc, _, err = k("exec", sid, "--", "true")
            self.assertNotEqual(rc, 0)
            self.assertIn("no session", err)
        finally:
            d.stop()
            subprocess.run(["rm", "-rf", work])


class ReadmeExample(unittest.TestCase):
    def test_the_readme_python_example_runs(self):
        with open(os.path.join(SOURCE, "README.md")) as f:
            text = f.read()
        start = text.index("```python", text.index("<!-- daemon-example"))
        code = text[start + len("```python"):text.index("```", start + 10)]
        self.assertLessEqual(len(code.strip().splitlines()), 10)
        d = Daemon()
        try:
            env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "sdk", "python"), KAVACH_HOST="unix://" + d.socket)
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            first, second = r.stdout.strip().splitlines()
            self.assertTrue(first.startswith("0 42 "), first)
            self.assertGreaterEqual(int(second), 1)
        finally:
            d.stop()


class DaemonAccess(unittest.TestCase):
    def test_peer_credentials_decide_who_may_connect_and_see_what(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to act as another uid")
        if not os.path.exists("/usr/bin/python3"):
            self.skipTest("no /usr/bin/python3 to run as uid 65534")
        if not os.access(os.path.join(SOURCE, "sdk", "python", "kavach", "__init__.py"), os.R_OK):
            self.skipTest("the SDK is not readable by uid 65534")
        d = Daemon("--group", "nogroup")
        try:
            code = "import kavach\ntry:\n  kavach.Session(preset='strict')\nexcept kavach.KavachError as e:\n  print(e.code)"
            rc, out = as_nobody(code, d.socket)
            self.assertIn("forbidden", out)
        finally:
            d.stop()
        d = Daemon("--group", "nogroup", "--allow-uid", str(NOBODY))
        private = tempfile.mkdtemp(prefix="kavach-private-")  # 0700, root's
        hidden_file = os.path.join(private, "readable.txt")
        with open(hidden_file, "w") as f:
            f.write("not for uid 65534\n")
        os.chmod(hidden_file, 0o644)
        try:
            root_session = kavach.Session(preset="strict", socket=d.socket)
            code = ("import kavach, json\n"
                    "s = kavach.Session(preset='strict')\n"
                    "print(json.dumps({'own': s.exec(['id', '-u']).exit_code,"
                    " 'list': [x['id'] for x in kavach.session.Client().request('GET', '/v1/sessions')['sessions']]}))\n"
                    f"try:\n  kavach.session.Client().request('GET', '/v1/sessions/{root_session.id}')\n"
                    "except kavach.KavachError as e:\n  print(e.code)\n"
                    "try:\n  kavach.Session(preset='strict', rw=['/etc'])\n"
                    "except kavach.KavachError as e:\n  print(e.code)\n"
                    f"try:\n  kavach.Session(preset='strict', ro=['{hidden_file}'])\n"
                    "except kavach.KavachError as e:\n  print(e.code)\n"
                    "try:\n  kavach.Session(policy={'extends': 'strict', 'env_allow': ['SECRET_OF_THE_DAEMON']})\n"
                    "except kavach.KavachError as e:\n  print(e.code)\n"
                    "try:\n  kavach.Session(policy={'extends': 'strict', 'may_degrade': ['ns_user']})\n"
                    "except kavach.KavachError as e:\n  print(e.code)\n")
            rc, out = as_nobody(code, d.socket)
            self.assertEqual(rc, 0, out)
            lines = out.strip().splitlines()
            first = json.loads(lines[0])
            self.assertEqual(first["own"], 0)
            self.assertNotIn(root_session.id, first["list"])  # only its own session
            self.assertEqual(len(first["list"]), 1)
            self.assertEqual(lines[1], "not_found")  # root's session is invisible to it
            self.assertEqual(lines[2], "forbidden")  # /etc is not its to make writable
            self.assertEqual(lines[3], "forbidden")  # world-readable, but in a directory it cannot enter
            self.assertEqual(lines[4], "forbidden")  # the daemon's environment is not the caller's
            self.assertEqual(lines[5], "forbidden")  # no user namespace: it could be host root
            subprocess.run(["rm", "-rf", private])
            listing = Client(d.socket).request("GET", "/v1/sessions")["sessions"]
            self.assertEqual(len(listing), 2)  # root sees both
            root_session.close()
        finally:
            d.stop()


class DaemonFaults(unittest.TestCase):
    def test_a_killed_daemon_takes_its_sessions_with_it(self):
        d = Daemon()
        try:
            s = kavach.Session(preset="strict", socket=d.socket)
            secs = str(700000 + os.getpid() % 90000)
            marker = b"sleep\x00" + secs.encode() + b"\x00"
            s.exec(["sh", "-c", f"sleep {secs} >/dev/null 2>&1 &"])
            for _ in range(200):
                if host_processes(marker) == 1:
                    break
                time.sleep(0.01)
            self.assertEqual(host_processes(marker), 1)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            for _ in range(200):
                if host_processes(marker) == 0:
                    break
                time.sleep(0.025)
            self.assertEqual(host_processes(marker), 0, "a session process outlived the daemon")
            gc = subprocess.run([KAVACH, "gc", "--json"], capture_output=True, text=True)
            self.assertEqual(gc.returncode, 0, gc.stdout + gc.stderr)
            # The next daemon takes the stale socket over.
            d2 = Daemon()
            self.assertEqual(d2.socket, d2.socket)
            self.assertEqual(Client(d2.socket).health()["status"], "ok")
            d2.stop()
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:])
