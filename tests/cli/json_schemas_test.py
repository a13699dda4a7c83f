#!/usr/bin/env python3
"""Every --json output of every kavach subcommand, from the built CLI, validated against
docs/json/*.schema.json (JSON Schema 2020-12, python3-jsonschema from Debian).

usage: json_schemas_test.py KAVACH_BINARY SCHEMA_DIR
Exit 0 when every output validates, 1 on the first mismatch, 77 (skipped) without jsonschema.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import warnings

SKIP = 77


def load_validators(schema_dir):
    import jsonschema
    schemas = {p.name: json.loads(p.read_text()) for p in sorted(schema_dir.glob("*.schema.json"))}
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
    # Debian 12's jsonschema 4.10: RefResolver over the same files, by their file: URIs (the
    # schemas have no $id, so a relative $ref resolves against the file that holds it).
    uri = lambda name: (schema_dir / name).resolve().as_uri()
    store = {uri(name): s for name, s in schemas.items()}

    def with_resolver(s, name):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver(base_uri=uri(name), referrer=s, store=store)
        return jsonschema.Draft202012Validator(s, resolver=resolver, format_checker=jsonschema.FormatChecker())

    make = with_resolver
    try:  # jsonschema >= 4.18: a registry of the schema files, by file name
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        registry = Registry().with_resources(
            (name, Resource.from_contents(s, default_specification=DRAFT202012)) for name, s in schemas.items())
        jsonschema.Draft202012Validator({}, registry=registry)
        make = lambda s, name: jsonschema.Draft202012Validator(s, registry=registry,
                                                               format_checker=jsonschema.FormatChecker())
    except (ImportError, TypeError):
        pass
    return {name: make(s, name) for name, s in schemas.items()}


class Checker:
    def __init__(self, kavach, validators):
        self.kavach = kavach
        self.validators = validators
        self.used = set()
        self.failures = []
        self.count = 0

    def check(self, schema, args, status=0, stream="stdout", expect=None, env=None):
        """Runs `kavach ARGS`, validates the JSON on `stream` against `schema`, checks the status."""
        self.count += 1
        self.used.add(schema)
        label = "kavach " + " ".join(args)
        proc = subprocess.run([self.kavach] + args, capture_output=True, env=env, timeout=120)
        text = (proc.stdout if stream == "stdout" else proc.stderr).decode("utf-8", "replace")
        other = (proc.stderr if stream == "stdout" else proc.stdout).decode("utf-8", "replace")
        if status is not None and proc.returncode != status:
            self.failures.append(f"{label}: exit {proc.returncode}, expected {status}\n{proc.stderr.decode()}")
            return None
        if stream == "stderr" and other.strip():
            self.failures.append(f"{label}: an error printed a result on stdout too:\n{other}")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            self.failures.append(f"{label}: {stream} is not JSON ({e}):\n{text}")
            return None
        errors = sorted(self.validators[schema].iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            self.failures.append(f"{label}: {schema}: at {where}: {e.message}")
        if not errors and expect is not None:
            problem = expect(doc)
            if problem:
                self.failures.append(f"{label}: {problem}")
        print(f"{'ok  ' if not errors else 'FAIL'} {schema:26} {label}")
        return doc


    def check_lines(self, schema, args, status=0, expect=None):
        """Runs `kavach ARGS` whose stdout is JSON lines (--json-lines): every line validates."""
        self.count += 1
        self.used.add(schema)
        label = "kavach " + " ".join(args)
        proc = subprocess.run([self.kavach] + args, capture_output=True, timeout=120)
        if status is not None and proc.returncode != status:
            self.failures.append(f"{label}: exit {proc.returncode}, expected {status}\n{proc.stderr.decode()}")
            return None
        docs = []
        for n, line in enumerate(proc.stdout.decode("utf-8").splitlines(), 1):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as e:
                self.failures.append(f"{label}: line {n} is not JSON ({e}): {line}")
                return None
            for e in list(self.validators[schema].iter_errors(doc))[:3]:
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                self.failures.append(f"{label}: line {n}: {schema}: at {where}: {e.message}")
            docs.append(doc)
        if expect is not None and (problem := expect(docs)):
            self.failures.append(f"{label}: {problem}")
        print(f"ok   {schema:26} {label} ({len(docs)} events)")
        return docs


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    kavach, schema_dir = sys.argv[1], pathlib.Path(sys.argv[2])
    try:
        validators = load_validators(schema_dir)
    except ImportError:
        print("SKIP: python3-jsonschema is not installed (scripts/install-deps installs it)")
        return SKIP
    c = Checker(kavach, validators)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="kavach-schemas-"))
    try:
        run_all(c, tmp)
    finally:
        subprocess.run(["rm", "-rf", str(tmp)])
    unused = set(validators) - c.used - {"common.schema.json"}
    if unused:
        c.failures.append(f"schemas no output was checked against: {sorted(unused)}")
    for f in c.failures:
        print("FAIL:", f, file=sys.stderr)
    print(f"{c.count} outputs checked against {len(validators)} schemas, {len(c.failures)} failure(s)")
    return 1 if c.failures else 0


def run_all(c, tmp):
    # Listings and host facts.
    backends = c.check("backends.schema.json", ["backends", "--json"])
    c.check("doctor.schema.json", ["doctor", "--json"])
    process_runs = any(b["backend"] == "process" and b["available"] for b in (backends or {}).get("backends", []))

    # score: a number for a backend that runs commands, none for one that does not.
    c.check("score.schema.json", ["score", "--json", "--backend", "process", "--preset", "strict"],
            expect=lambda d: None if isinstance(d["value"], int) else "no number for process")
    c.check("score.schema.json", ["score", "--json", "--backend", "firecracker"],
            expect=lambda d: None if d["value"] is None else "a number for firecracker")
    c.check("score.schema.json", ["score", "--json", "--backend", "noop"])

    # policy check: the effective policy as JSON.
    (tmp / "p.toml").write_text('extends = "agent"\n[limits]\nmemory = "256M"\n[fs]\nreadonly_paths_add = ["/opt"]\n'
                                if os.path.isdir("/opt") else 'extends = "agent"\n[limits]\nmemory = "256M"\n')
    c.check("policy-check.schema.json", ["policy", "check", "--json", str(tmp / "p.toml")])
    for preset in ["minimal", "basic", "strict"]:
        (tmp / f"{preset}.toml").write_text(f'extends = "{preset}"\n[[landlock.paths]]\npath = "/usr"\n'
                                            'access = ["read", "exec"]\n')
        c.check("policy-check.schema.json", ["policy", "check", "--json", str(tmp / f"{preset}.toml")])

    # scan: a clean file (pass), a real-looking password (a credential: quarantine, exit 2), and
    # personal data (warn, exit 1: reported, not rewritten).
    (tmp / "clean.txt").write_text("nothing to see\n")
    (tmp / "finding.txt").write_text('password: "Tr0ub4dor&3xQ!"\n')
    (tmp / "personal.txt").write_text("Author: Jane Doe <jane.doe@corpmail.com>\n")
    c.check("scan.schema.json", ["scan", "--json", str(tmp / "clean.txt")])
    c.check("scan.schema.json", ["scan", "--json", str(tmp / "finding.txt")], status=2,
            expect=lambda d: None if d["findings"] else "no finding")
    c.check("scan.schema.json", ["scan", "--json", str(tmp / "personal.txt")], status=1,
            expect=lambda d: None if d["findings"] and d["findings"][0].get("rewritten") is False
            else "personal data should be reported with rewritten: false")

    # run: the noop backend everywhere, the process backend where it runs.
    c.check("run.schema.json", ["run", "--backend", "noop", "--json", "--", "true"])
    c.check("run.schema.json", ["run", "--backend", "noop", "--json", "-v", "--no-gate", "--", "true"])
    if process_runs:
        c.check("run.schema.json", ["run", "--json", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], status=3)
        c.check("run.schema.json", ["run", "--json", "--", "kavach-no-such-command"], status=127,
                expect=lambda d: None if d["score"] is None and d["hints"] else "a score or no hint")
        c.check("run.schema.json", ["run", "--json", "--output-limit", "1K", "--", "sh", "-c",
                                    "head -c 5000 /dev/zero"],
                expect=lambda d: None if d["stdout_truncated"] else "not truncated")
        c.check("run.schema.json", ["run", "--json", "--", "printf", "\\377\\376ok"],
                expect=lambda d: None if d.get("stdout_b64") == "//5vaw==" else "no exact bytes")
        c.check("run.schema.json", ["run", "--json", "-v", "--", "true"],
                expect=lambda d: None if d.get("mount_plan") else "no mount plan with -v")
        # --export: a released file and a refused one (not in a writable path).
        work = tmp / "export-work"
        work.mkdir(mode=0o777, exist_ok=True)
        work.chmod(0o777)
        c.check("run.schema.json", ["run", "--json", "--rw", str(work), "--export", "out.txt:" + str(tmp / "out.txt"),
                                    "--export", "/etc/hostname:" + str(tmp / "no"), "--", "sh", "-c", "echo hi > out.txt"],
                status=64,
                expect=lambda d: None if d["exports"][0]["release"] == "released" and "error" in d["exports"][1]
                else "exports not as expected")
        c.check("verify.schema.json", ["verify", "--json", "--only", "H01,N01"])
        # Live events: started, output chunks (invalid UTF-8 as base64), exit.
        c.check_lines("run-events.schema.json",
                      ["run", "--json-lines", "--", "sh", "-c", "echo hi; printf '\\377' >&2; exit 2"], status=2,
                      expect=lambda d: None if [e["event"] for e in d][0] == "started" and d[-1]["event"] == "exit"
                      and any("data_b64" in e for e in d) else "events missing")
        # The gate's finding and the output limit as events of their own.
        # A checksum-valid token from the labelled corpus (a random one is not a GitHub token).
        corpus = pathlib.Path(__file__).resolve().parents[1] / "data" / "gate" / "positives.jsonl"
        token = next(e["secret"] for e in map(json.loads, corpus.read_text().splitlines())
                     if e["rule"] == "github-pat")
        c.check_lines("run-events.schema.json", ["run", "--json-lines", "--", "echo", "GITHUB_TOKEN=" + token],
                      status=None,
                      expect=lambda d: None if any(e["event"] == "finding" for e in d)
                      and token not in json.dumps(d) else "no finding event, or the token leaked")
        c.check_lines("run-events.schema.json", ["run", "--json-lines", "--output-limit", "1K", "--", "sh", "-c",
                                                 "head -c 5000 /dev/zero"],
                      expect=lambda d: None if any(e["event"] == "truncated" and e["limit_bytes"] == 1024 for e in d)
                      else "no truncated event")

    # audit verify: intact, then tampered (a verdict on stdout), then unreadable (an error).
    key = tmp / "audit.key"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)
    log = tmp / "audit.jsonl"
    anchors = tmp / "anchors"
    subprocess.run([c.kavach, "run", "--backend", "noop", "-q", "--audit-log", str(log), "--audit-key", str(key),
                    "--audit-anchor-dir", str(anchors), "--", "true"], check=True, capture_output=True)
    verify = ["audit", "verify", "--json", str(log), "--key", str(key), "--anchor-dir", str(anchors)]
    c.check("audit-verify.schema.json", verify)
    lines = log.read_text().splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    log.write_text("".join(lines))
    c.check("audit-verify.schema.json", verify, status=84)
    c.check("error.schema.json", ["audit", "verify", "--json", str(tmp / "none.jsonl"), "--key", str(key)],
            status=83, stream="stderr")

    # gc: a dry run changes nothing (exit 1 when something could not be removed).
    c.check("gc.schema.json", ["gc", "--dry-run", "--json"], status=None)

    # Errors, from every kind of subcommand, parse errors included.
    for args, status in [(["scan", "--json", "/nonexist"], 71),
                         (["policy", "check", "--json", "/nonexistent/p.toml"], 71),
                         (["run", "--json", "--preset", "paranoid", "--", "true"], 72),
                         (["run", "--json", "python3", "-c", "print(1)"], 64),
                         (["score", "--json", "--memory-mb", "-5"], 64),
                         (["backends", "--json", "--frob"], 64),
                         (["verify", "--json", "--backend", "frobnix"], 73)]:
        c.check("error.schema.json", args, status=status, stream="stderr")


if __name__ == "__main__":
    sys.exit(main())
