// Harness-side canaries: things on the HOST that a sandboxed probe must not be able to observe or
// change. Created before a run, removed by the destructor. The probe learns only where to look
// (names, numbers, paths) via probe_args(); the secret VALUES stay here so a FAIL can be checked
// against them ("the probe really saw it").
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::probes {

struct CanaryOptions {
  std::filesystem::path probe_binary;  // copied for the setuid / file-cap checks
  int canary_fd_number = 77;           // where the inherited canary fd is placed
  bool plant_setuid = true;            // needs root (chown root + chmod 4755)
  bool plant_filecap = true;           // needs CAP_SETFCAP
};

class Canaries {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Canaries>> create(const CanaryOptions& opts);
  ~Canaries();
  Canaries(const Canaries&) = delete;
  Canaries& operator=(const Canaries&) = delete;

  // Layout (scratch is mode 0711, only work/ and bin/ are meant to be shared):
  //   <scratch>/secret/canary.txt, agent.sock    outside any policy
  //   <scratch>/work/                            writable work dir (mode 0777)
  //   <scratch>/work/protected/file              read-only inside the work dir
  //   <scratch>/work/nested/.git/config, .envrc  names the agent preset protects at every depth
  //   <scratch>/bin/kavach-probe-suid, -fcap     planted privileged copies of the probe
  [[nodiscard]] const std::filesystem::path& scratch() const { return scratch_; }
  [[nodiscard]] std::filesystem::path workdir() const { return scratch_ / "work"; }
  [[nodiscard]] std::filesystem::path protected_dir() const { return scratch_ / "work" / "protected"; }
  [[nodiscard]] std::filesystem::path bindir() const { return scratch_ / "bin"; }
  [[nodiscard]] std::filesystem::path secret_file() const { return scratch_ / "secret" / "canary.txt"; }
  [[nodiscard]] const std::string& secret_value() const { return secret_; }
  [[nodiscard]] const std::string& env_name() const { return env_name_; }
  [[nodiscard]] const std::string& token() const { return token_; }
  [[nodiscard]] int fd_number() const { return fd_; }
  [[nodiscard]] int tcp_port() const { return tcp_port_; }
  [[nodiscard]] const std::string& abstract_name() const { return abstract_name_; }
  [[nodiscard]] pid_t victim_pid() const { return victim_; }

  // Connections the host listeners accepted since the last call (evidence for N03/W01/I03/I04).
  struct Connections {
    int tcp = 0;
    int abstract_unix = 0;
    int fs_unix = 0;
  };
  [[nodiscard]] Connections drain_connections();

  // Empties the work dir (what earlier runs planted) and restores the planted files.
  void reset_workdir();

 private:
  void plant_workdir();

 public:

  // --key=value arguments for kavach-probe describing where the canaries are.
  [[nodiscard]] std::vector<std::string> probe_args() const;
  // Facts about the host measured here (features, namespaces) — also passed to the probe.
  [[nodiscard]] const std::map<std::string, std::string>& facts() const { return facts_; }
  // What went wrong while planting optional canaries (e.g. no CAP_SETFCAP): shown in reports.
  [[nodiscard]] const std::vector<std::string>& notes() const { return notes_; }

 private:
  Canaries() = default;
  Result<void> setup(const CanaryOptions& opts);
  void add_note(std::string n) { notes_.push_back(std::move(n)); }

  std::filesystem::path scratch_;
  std::string secret_, env_name_, token_, abstract_name_, mq_name_, shm_name_;
  int fd_ = -1;
  int tcp_fd_ = -1, abstract_fd_ = -1, fs_sock_fd_ = -1;
  int tcp_port_ = 0;
  long key_serial_ = 0, keyring_serial_ = 0;
  int sysv_key_ = 0, shm_id_ = -1, msg_id_ = -1, sem_id_ = -1;
  int mq_fd_ = -1;
  pid_t victim_ = -1;
  std::map<std::string, std::string> facts_;
  std::vector<std::string> notes_;
  std::vector<std::string> args_;
};

// Random lowercase hex of n characters (from getrandom).
[[nodiscard]] std::string random_hex(std::size_t n);

}  // namespace kavach::probes
