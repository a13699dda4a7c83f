/* The C API from C (compiled as C11, linked against the shared libkavach): a real sandboxed
 * command, error paths with their codes, the gate. Exit 0 when every check holds; each failed
 * check is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavach/kavach.h"

static int failures = 0;

static void check(int ok, const char* what, const char* json) {
  if (ok) return;
  ++failures;
  fprintf(stderr, "FAILED: %s\n  got: %s\n", what, json ? json : "(null)");
}

static int has(const char* json, const char* needle) { return json != NULL && strstr(json, needle) != NULL; }

int main(void) {
  check(strlen(kavach_version()) > 0, "kavach_version", kavach_version());

  kavach_sandbox* sb = NULL;
  char* err = NULL;
  int rc = kavach_sandbox_create("{\"preset\": \"strict\"}", &sb, &err);
  check(rc == 0 && sb != NULL && err == NULL, "create with the strict preset", err);
  if (sb == NULL) return 1;

  char* out = NULL;
  rc = kavach_sandbox_exec(sb, "{\"argv\": [\"/bin/sh\", \"-c\", \"echo hello-$NAME; exit 3\"], \"env\": {\"NAME\": \"c\"}}", &out);
  check(rc == 0, "exec returns 0 for a command that ran", out);
  check(has(out, "\"exit_code\":3"), "the command's exit status", out);
  check(has(out, "hello-c"), "the command's output", out);
  check(has(out, "\"score\":{"), "an enforced score", out);
  check(has(out, "\"seccomp\""), "the enforcement report", out);
  kavach_free(out);

  /* stdin reaches the command. */
  rc = kavach_sandbox_exec(sb, "{\"argv\": [\"/bin/cat\"], \"stdin\": \"from-stdin\"}", &out);
  check(rc == 0 && has(out, "from-stdin"), "stdin", out);
  kavach_free(out);

  /* The sandbox really confines: the strict preset's filesystem has no /root. */
  rc = kavach_sandbox_exec(sb, "{\"argv\": [\"/bin/ls\", \"/root\"]}", &out);
  check(rc == 0 && !has(out, "\"exit_code\":0"), "a path outside the policy is not visible", out);
  kavach_free(out);

  /* Bad input: an error object with a code, never a crash. */
  rc = kavach_sandbox_exec(sb, "{\"argv\": []}", &out);
  check(rc == -1 && has(out, "\"code\":\"invalid_argument\""), "empty argv", out);
  kavach_free(out);
  rc = kavach_sandbox_exec(sb, "not json", &out);
  check(rc == -1 && has(out, "\"code\":\"invalid_argument\""), "malformed command JSON", out);
  kavach_free(out);
  rc = kavach_sandbox_exec(sb, "{\"argv\": [\"/bin/true\"], \"cwd\": \"/\"}", &out);
  check(rc == -1 && has(out, "unknown key 'cwd'"), "unknown command key", out);
  kavach_free(out);
  kavach_sandbox_destroy(sb);

  kavach_sandbox* none = NULL;
  rc = kavach_sandbox_create("{\"policy\": {\"extends\": \"strict\", \"limits\": {\"memory\": \"1K\"}}}", &none, &err);
  check(rc == -1 && none == NULL && has(err, "limits.memory"), "a policy value out of range names its key", err);
  kavach_free(err);
  rc = kavach_sandbox_create("{\"policy\": {\"seccomp\": {\"extra_deny\": [\"no_such_call\"]}}}", &none, &err);
  check(rc == -1 && has(err, "\"code\":\"unknown_syscall\""), "an unknown syscall name", err);
  kavach_free(err);
  {
    /* Nesting no policy key has, 100,000 deep: an error, not a stack overflow. */
    const size_t depth = 100000;
    char* deep = malloc(2 * depth + 64);
    check(deep != NULL, "malloc", NULL);
    if (deep != NULL) {
      size_t at = (size_t)sprintf(deep, "{\"policy\": {\"name\": ");
      for (size_t i = 0; i < depth; ++i) deep[at++] = '[';
      for (size_t i = 0; i < depth; ++i) deep[at++] = ']';
      strcpy(deep + at, "}}");
      rc = kavach_sandbox_create(deep, &none, &err);
      check(rc == -1 && has(err, "\"code\":\"policy_type\""), "deeply nested policy JSON", err);
      kavach_free(err);
      free(deep);
    }
  }
  rc = kavach_sandbox_create("{\"backend\": \"nope\"}", &none, &err);
  check(rc == -1 && has(err, "\"code\":\"unknown_backend\""), "an unknown backend", err);
  kavach_free(err);

  /* A policy as JSON: the same keys as a policy file. */
  rc = kavach_sandbox_create("{\"policy\": {\"extends\": \"basic\", \"env_allow_add\": [\"PATH\"]}}", &sb, &err);
  check(rc == 0, "a JSON policy extending a preset", err);
  rc = kavach_sandbox_exec(sb, "{\"argv\": [\"true\"]}", &out);
  check(rc == 0 && has(out, "\"exit_code\":0") && has(out, "\"policy\":\"basic+file\""), "exec under the JSON policy", out);
  kavach_free(out);
  kavach_sandbox_destroy(sb);

  /* Files in and out of a writable directory. */
  char dir[] = "/tmp/kavach-capi-XXXXXX";
  check(mkdtemp(dir) != NULL, "mkdtemp", dir);
  char config[512];
  snprintf(config, sizeof config,
           "{\"policy\": {\"extends\": \"strict\", \"fs\": {\"writable_paths_add\": [\"%s\"], \"workdir\": \"%s\"}}}",
           dir, dir);
  rc = kavach_sandbox_create(config, &sb, &err);
  check(rc == 0, "a sandbox with a writable directory", err);
  if (sb != NULL) {
    rc = kavach_sandbox_write_file(sb, "in.txt", "uploaded\n", 9, &err);
    check(rc == 0 && err == NULL, "write_file", err);
    rc = kavach_sandbox_exec(sb, "{\"argv\": [\"/bin/sh\", \"-c\", \"cat in.txt; echo changed >> in.txt; ln -s /etc/shadow planted\"]}", &out);
    check(rc == 0 && has(out, "uploaded"), "the command reads the uploaded file", out);
    kavach_free(out);
    rc = kavach_sandbox_read_file(sb, "in.txt", &out);
    check(rc == 0 && has(out, "\"content\":\"uploaded\\nchanged\\n\"") && has(out, "\"release\":\"released\""),
          "read_file through the gate", out);
    kavach_free(out);
    rc = kavach_sandbox_read_file(sb, "planted", &out);
    check(rc == -1 && has(out, "symbolic link"), "read_file refuses a planted link", out);
    kavach_free(out);
    rc = kavach_sandbox_write_file(sb, "planted", "x", 1, &err);
    check(rc == -1 && has(err, "symbolic link"), "write_file refuses a planted link", err);
    kavach_free(err);
    kavach_sandbox_destroy(sb);
  }
  char rm[600];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  check(system(rm) == 0, "cleanup", dir);

  /* The gate. */
  const char* text = "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n";
  rc = kavach_scan(text, strlen(text), &out);
  check(rc == 0 && has(out, "\"verdict\":\"block\"") && has(out, "[REDACTED:stripe-live-secret-key]") &&
            !has(out, "4eC39HqLyjWDarjtT1zdp7dc"),
        "scan finds, judges and redacts", out);
  kavach_free(out);

  kavach_free(NULL);
  kavach_sandbox_destroy(NULL);
  if (failures == 0) printf("capi_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
