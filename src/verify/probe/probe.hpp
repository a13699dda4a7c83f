// kavach-probe: adversarial checks that run INSIDE a sandbox and try to observe or change what the
// policy forbids. Every check runs in its own forked child with a timeout and yields one Outcome.
// Rule for every check: harmless arguments only (bad fd/pointer, scratch paths, signal 0, socket()
// without connect, mutations only inside a private namespace or the scratch work dir), so the
// binary is safe to run on a wide-open host (that run is the negative control).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace probe {

enum class Verdict { pass, fail, skip, info };
[[nodiscard]] std::string_view to_string(Verdict v);

struct Outcome {
  Verdict verdict = Verdict::info;
  int err = 0;  // the errno that decided the verdict (0 when none)
  std::string detail;
};

[[nodiscard]] Outcome pass(std::string detail, int err = 0);
[[nodiscard]] Outcome fail(std::string detail, int err = 0);
[[nodiscard]] Outcome skip(std::string reason);
[[nodiscard]] Outcome info(std::string detail, int err = 0);

// What the harness tells the probe (names, numbers, paths — never the secret values).
// Passed as --key=value arguments; unknown keys are an error so typos do not silently skip.
class Expect {
 public:
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] std::string str(std::string_view key, std::string_view fallback = {}) const;
  [[nodiscard]] std::optional<long long> num(std::string_view key) const;
  [[nodiscard]] std::vector<std::string> list(std::string_view key) const;  // comma separated
  // Host features measured OUTSIDE the sandbox by `kavach-probe host-features` (--features=).
  [[nodiscard]] bool feature(std::string_view name) const;
  [[nodiscard]] bool features_known() const { return has("features"); }
  void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Every key the probe understands, with a one-line description (for --help and validation).
struct ExpectKey {
  std::string_view key;
  std::string_view help;
};
[[nodiscard]] const std::vector<ExpectKey>& expect_keys();

using ProbeFn = Outcome (*)(const Expect&);

struct Probe {
  std::string_view id;     // "H01"
  std::string_view name;   // "fd-leak"
  ProbeFn fn = nullptr;
  int timeout_ms = 5000;
  bool own_session = true;  // false: the check must see the session/ctty the sandbox gave us
};

// Each group file contributes its probes.
void add_group_h(std::vector<Probe>& out);
void add_group_p(std::vector<Probe>& out);
void add_group_n(std::vector<Probe>& out);
void add_group_f(std::vector<Probe>& out);
void add_group_s(std::vector<Probe>& out);
void add_group_c(std::vector<Probe>& out);
void add_group_l(std::vector<Probe>& out);
void add_group_i(std::vector<Probe>& out);
void add_group_w(std::vector<Probe>& out);
void add_group_d(std::vector<Probe>& out);
void add_group_r(std::vector<Probe>& out);
void add_group_t(std::vector<Probe>& out);

[[nodiscard]] const std::vector<Probe>& all_probes();

// Runs one probe in a forked child (own session) with its timeout; never throws.
[[nodiscard]] Outcome run_isolated(const Probe& p, const Expect& e);

// One JSON line: {"id","verdict","errno","detail","ms"}.
[[nodiscard]] std::string to_json_line(std::string_view id, const Outcome& o, double ms);

// File descriptors open when main() started (before the probe opened anything itself).
[[nodiscard]] const std::vector<int>& startup_fds();
void snapshot_startup_fds();

// Path of this executable as given by the harness (--self) or /proc/self/exe.
[[nodiscard]] std::string self_path(const Expect& e);

}  // namespace probe
