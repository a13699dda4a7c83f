#!/usr/bin/env python3
"""The C API through Python's ctypes (no native build): a sandboxed command and an error."""
import ctypes
import json
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.kavach_version.restype = ctypes.c_char_p
lib.kavach_sandbox_create.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
lib.kavach_sandbox_exec.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
lib.kavach_sandbox_destroy.argtypes = [ctypes.c_void_p]
lib.kavach_free.argtypes = [ctypes.c_void_p]


def take(ptr):
    """The library's string as Python text, freed."""
    text = ctypes.string_at(ptr.value).decode()
    lib.kavach_free(ptr)
    return json.loads(text)


sb, err = ctypes.c_void_p(), ctypes.c_void_p()
assert lib.kavach_sandbox_create(b'{"preset": "strict"}', ctypes.byref(sb), ctypes.byref(err)) == 0
out = ctypes.c_void_p()
assert lib.kavach_sandbox_exec(sb, json.dumps({"argv": ["/bin/echo", "from-python"]}).encode(), ctypes.byref(out)) == 0
result = take(out)
assert result["exit_code"] == 0 and result["stdout"] == "from-python\n", result
assert result["score"]["value"] > 0, result["score"]
assert lib.kavach_sandbox_exec(sb, b'{"argv": 5}', ctypes.byref(out)) == -1
assert take(out)["error"]["code"] == "invalid_argument"
lib.kavach_sandbox_destroy(sb)
print("ctypes smoke: kavach", lib.kavach_version().decode(), "ran a sandboxed command from Python")
