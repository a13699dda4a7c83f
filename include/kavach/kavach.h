/* kavach's C API: run untrusted commands in a sandbox from C, or from any language with a C FFI
 * (Python ctypes, Go cgo, Rust, Node ffi). Requests and results are UTF-8 JSON text; the shapes
 * are those of `kavach run --json` and of policy files (docs/c-api.md).
 *
 * Ownership: every char* the library returns is the caller's and is released with kavach_free.
 * Strings passed in are only read during the call.
 * Threads: any function may be called from any thread. One kavach_sandbox runs one command at a
 * time (concurrent calls on one handle wait for each other); different handles run in parallel.
 * kavach_sandbox_destroy must not race another call on the same handle (it frees it).
 * Errors: functions return 0 on success and -1 on failure; the JSON they hand back is then
 * {"error": {"code": "...", "message": "...", "context": {...}}} with kavach's error code names.
 */
#ifndef KAVACH_KAVACH_H
#define KAVACH_KAVACH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KAVACH_C_API __attribute__((visibility("default")))

typedef struct kavach_sandbox kavach_sandbox;

/* The library's version, "0.1.0" (static storage: do not free). */
KAVACH_C_API const char* kavach_version(void);

/* Creates a sandbox from a JSON configuration:
 *   {"backend": "process",            (default process; kavach backends lists them)
 *    "preset": "agent",               (minimal, basic, strict, agent; default agent)
 *    "policy": {...},                 (policy keys as in a policy file; "extends" picks the
 *                                      preset; exclusive with "preset")
 *    "gate": true}                    (the externalization gate; false switches it off, audited)
 * On success *out holds the handle and *error_json is NULL; on failure *out is NULL and
 * *error_json holds the error. */
KAVACH_C_API int kavach_sandbox_create(const char* config_json, kavach_sandbox** out, char** error_json);

/* Runs one command: {"argv": ["python3", "-c", "print(1)"], "env": {"K": "V"}, "stdin": "text"}.
 * *result_json receives the run (as `kavach run --json`: exit_code, stdout, stderr, score,
 * enforcement, gate, ...) on success, the error on failure. A command that exits non-zero is a
 * success: its status is in the result. */
KAVACH_C_API int kavach_sandbox_exec(kavach_sandbox* sandbox, const char* command_json, char** result_json);

/* Files in the sandbox's writable paths (a relative path: below its working directory), at most
 * limits.output_bytes, never through a link, another mount or a hard link the command planted.
 * write_file puts `len` bytes there (the directory must exist; mode 0644; *error_json on
 * failure). read_file takes one out through the gate like the command's output: *result_json is
 * {"path", "bytes", "release", "verdict", "findings", "content"} with the redacted content as
 * text ("content_b64" instead when it is not UTF-8); a block verdict withholds it (no content,
 * release "withheld"). */
KAVACH_C_API int kavach_sandbox_write_file(kavach_sandbox* sandbox, const char* path, const char* data, size_t len,
                                           char** error_json);
KAVACH_C_API int kavach_sandbox_read_file(kavach_sandbox* sandbox, const char* path, char** result_json);

/* Stops and destroys the sandbox (audit events `stopped`, `destroyed`) and frees the handle.
 * NULL is allowed. */
KAVACH_C_API void kavach_sandbox_destroy(kavach_sandbox* sandbox);

/* Scans `len` bytes with the gate's builtin rules: *report_json receives
 * {"verdict": ..., "findings": [...], "redacted": "..."} (as `kavach scan --json`). */
KAVACH_C_API int kavach_scan(const char* data, size_t len, char** report_json);

/* Frees a string the library returned. NULL is allowed. */
KAVACH_C_API void kavach_free(char* s);

#ifdef __cplusplus
}
#endif

#endif /* KAVACH_KAVACH_H */
