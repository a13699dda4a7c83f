#!/usr/bin/env python3
"""The Python SDK (sdk/python) against the real library: confined commands, files through a
writable directory, errors as exceptions, the gate. Run with KAVACH_LIBRARY and PYTHONPATH set
(ctest does)."""
import os
import tempfile
import unittest

import kavach


class PythonSdk(unittest.TestCase):
    def test_runs_a_confined_command(self):
        with kavach.Sandbox(preset="strict") as s:
            r = s.exec(["/bin/sh", "-c", "echo out; echo err >&2; exit 4"])
            self.assertEqual(r.exit_code, 4)
            self.assertFalse(r.ok)
            self.assertEqual(r.stdout, "out\n")
            self.assertEqual(r.stderr, "err\n")
            self.assertGreater(r.score, 50)
            self.assertEqual(r.verdict, "pass")
            self.assertTrue(any(c["control"] == "seccomp" and c["applied"] for c in r.raw["enforcement"]))
            # The strict preset's view of the host has no /root.
            self.assertNotEqual(s.exec(["/bin/ls", "/root"]).exit_code, 0)

    def test_stdin_env_and_exact_bytes(self):
        with kavach.Sandbox(preset="basic") as s:
            self.assertEqual(s.exec(["/bin/cat"], stdin="piped").stdout, "piped")
            self.assertEqual(s.exec(["/bin/sh", "-c", "echo $GREETING"], env={"GREETING": "hi"}).stdout, "hi\n")
            r = s.exec(["/usr/bin/printf", "\\377\\376"])
            self.assertEqual(r.stdout_bytes, b"\xff\xfe")

    def test_a_writable_work_directory(self):
        with tempfile.TemporaryDirectory() as work:
            with kavach.Sandbox(preset="agent", rw=[work]) as s:
                r = s.exec(["/bin/sh", "-c", "pwd; echo made > result.txt; echo x > .git-hooks-try 2>/dev/null; true"])
                self.assertEqual(r.exit_code, 0, r.stderr)
                self.assertEqual(r.stdout.strip(), os.path.realpath(work))
            with open(os.path.join(work, "result.txt")) as f:
                self.assertEqual(f.read(), "made\n")

    def test_files_in_and_out(self):
        with tempfile.TemporaryDirectory() as work:
            with kavach.Sandbox(preset="agent", rw=[work]) as s:
                s.write_file("data.csv", "a,b\n1,2\n")
                r = s.exec(["/bin/sh", "-c", "wc -l < data.csv > lines.txt; echo KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc > leak.env;"
                            "ln -s /etc/hostname link"])
                self.assertEqual(r.exit_code, 0, r.stderr)
                self.assertEqual(s.read_file("lines.txt"), b"2\n")
                with self.assertRaises(kavach.KavachError) as e:
                    s.read_file("leak.env")
                self.assertEqual(e.exception.code, "output_blocked")
                self.assertEqual(s.read_file_report("leak.env")["verdict"], "block")
                for op in (lambda: s.read_file("link"), lambda: s.write_file("link", "x"),
                           lambda: s.read_file("/etc/hostname")):
                    with self.assertRaises(kavach.KavachError):
                        op()

    def test_errors_are_exceptions_with_the_library_error(self):
        with self.assertRaises(kavach.KavachError) as e:
            kavach.Sandbox(preset="nonesuch")
        self.assertEqual(e.exception.code, "unknown_preset")
        with self.assertRaises(kavach.KavachError) as e:
            kavach.Sandbox(preset="strict", memory_mb=1)
        self.assertEqual(e.exception.code, "policy_value")
        self.assertEqual(e.exception.context.get("key"), "limits.memory")
        s = kavach.Sandbox(preset="strict")
        with self.assertRaises(kavach.KavachError) as e:
            s.exec([])
        self.assertEqual(e.exception.code, "invalid_argument")
        s.close()
        with self.assertRaises(kavach.KavachError):
            s.exec(["/bin/true"])

    def test_the_gate_redacts_output_and_scans_buffers(self):
        with kavach.Sandbox(preset="strict") as s:
            r = s.exec(["/bin/echo", "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc"])
            self.assertEqual(r.verdict, "block")
            self.assertNotIn("4eC39HqLyjWDarjtT1zdp7dc", r.stdout)
        report = kavach.scan("STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")
        self.assertEqual(report["verdict"], "block")
        self.assertIn("[REDACTED:stripe-live-secret-key]", report["redacted"])

    def test_version(self):
        self.assertRegex(kavach.version(), r"^\d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main()
