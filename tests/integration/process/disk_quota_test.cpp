// The `disk` control (limits.disk_bytes): a project quota on the writable paths. On a
// loop-mounted ext4 image with project quotas, a run that writes 32 MiB across four files
// under an 8 MiB limit gets EDQUOT and the host keeps at most the limit; the same run without
// the limit (negative control) lands all 32 MiB. Appending to a file that existed before the
// run is charged too. Teardown gives the directory its project id back; a quota whose kavach
// died is undone by gc. On a filesystem without project quotas the control fails closed, or
// degrades to applied=false when the policy allows it.
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/quota.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "backend_fixture.hpp"
#include "backends/common/disk_quota.hpp"
#include "backends/process/warm_pool.hpp"

#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443  // the same number on every architecture that has it
#endif

namespace kavach::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
constexpr std::uint64_t MiB = 1u << 20;

// Output and status of a host shell command (set-up only).
std::pair<int, std::string> shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// A 64 MiB ext4 image with the quota and project features, loop-mounted with prjquota.
// skip_reason says why not when the host cannot (not root, no loop device, kernel without
// quota format support).
class QuotaFilesystem {
 public:
  QuotaFilesystem() {
    if (::geteuid() != 0) {
      skip_reason = "needs root (loop mount, quotactl)";
      return;
    }
    char tmpl[] = "/tmp/kq.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      skip_reason = "mkdtemp failed";
      return;
    }
    mount_ = tmpl;
    image_ = mount_.string() + ".img";
    for (const std::string& cmd : {"truncate -s 64M " + image_.string(),
                                   "mkfs.ext4 -q -O quota,project " + image_.string(),
                                   "mount -o loop,prjquota " + image_.string() + " " + mount_.string()}) {
      auto [rc, out] = shell(cmd);
      if (rc != 0) {
        auto [krc, kernel] = shell("dmesg 2>/dev/null | grep -E 'EXT4-fs|quota' | tail -n 1");
        skip_reason = "cannot make an ext4 filesystem with enforced project quotas: `" + cmd + "` failed: " + out +
                      (krc == 0 && !kernel.empty() ? " kernel: " + kernel : "");
        return;
      }
    }
    mounted_ = true;
    if (const std::string why = common::project_quota_unavailable(mount_); !why.empty()) {
      skip_reason = "the mounted image offers no project quotas: " + why;
    }
  }
  ~QuotaFilesystem() {
    if (mounted_) (void)shell("umount " + mount_.string());
    std::error_code ec;
    if (!mounted_ || shell("mountpoint -q " + mount_.string()).first != 0) fs::remove_all(mount_, ec);
    fs::remove(image_, ec);
  }
  QuotaFilesystem(const QuotaFilesystem&) = delete;
  QuotaFilesystem& operator=(const QuotaFilesystem&) = delete;

  // A fresh directory on it the sandbox user may write (plain binds need the mode).
  fs::path work_dir(const std::string& name) const {
    const fs::path d = mount_ / name;
    fs::create_directories(d);
    ::chmod(d.c_str(), 0777);
    return d;
  }

  std::string skip_reason;

 private:
  fs::path mount_;
  fs::path image_;
  bool mounted_ = false;
};

struct Fsx {
  std::uint32_t project = 0;
  bool inherit = false;
};

Fsx fsx_of(const fs::path& p) {
  Fsx out;
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  struct fsxattr fa {};
  if (fd >= 0 && ::ioctl(fd, FS_IOC_FSGETXATTR, &fa) == 0) {
    out.project = fa.fsx_projid;
    out.inherit = (fa.fsx_xflags & FS_XFLAG_PROJINHERIT) != 0;
  }
  if (fd >= 0) ::close(fd);
  return out;
}

// Bytes allocated on disk for the regular files under `dir` (what the host really holds).
std::uint64_t allocated_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

// Every inode under `dir` is back in project 0 and no directory inherits a project.
std::string leftover_projects(const fs::path& dir) {
  std::string out;
  auto check = [&](const fs::path& p) {
    const Fsx f = fsx_of(p);
    if (f.project != 0 || f.inherit) out += p.string() + " project " + std::to_string(f.project) + "; ";
  };
  check(dir);
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) check(e.path());
  return out;
}

// The project id a report's detail names ("... project quota 0x4b56a1b2 on ..."), or 0.
std::uint32_t project_in(const std::string& detail) {
  const auto at = detail.find("project quota 0x");
  return at == std::string::npos ? 0 : static_cast<std::uint32_t>(std::stoul(detail.substr(at + 14, 10), nullptr, 16));
}

// Block hard limit (KiB) and usage (bytes) of a project on `dir`'s filesystem.
std::pair<std::uint64_t, std::uint64_t> project_quota(const fs::path& dir, std::uint32_t project) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct if_dqblk q {};
  const long rc = ::syscall(SYS_quotactl_fd, fd, QCMD(Q_GETQUOTA, PRJQUOTA), project, &q);
  ::close(fd);
  return rc == 0 ? std::make_pair(static_cast<std::uint64_t>(q.dqb_bhardlimit), static_cast<std::uint64_t>(q.dqb_curspace))
                 : std::make_pair(std::uint64_t{0}, std::uint64_t{0});
}

// 32 MiB in four 8 MiB files: each file is far below RLIMIT_FSIZE, so only a limit on the
// directory as a whole can stop it.
const char* kWrite32MiB =
    "for i in 1 2 3 4; do dd if=/dev/zero of=f$i bs=1M count=8 conv=fsync 2>&1 | grep -v records; done; "
    "mkdir -p sub && dd if=/dev/zero of=sub/g bs=1M count=1 conv=fsync 2>&1 | grep -v records; true";

// The agent preset on `work`. Landlock's TCP rules and scopes (ABI 4 and 6) may degrade: these
// tests are about the disk, and also run on kernels with project quotas but an older Landlock.
SandboxPolicy disk_policy(const fs::path& work) {
  SandboxPolicy pol = quick_policy(Preset::agent, milliseconds(60'000));
  pol.fs.writable_paths = {work};
  pol.fs.workdir = work;
  pol.may_degrade = {Control::landlock_net, Control::landlock_scopes};
  return pol;
}

using DiskQuota = ProcessBackendTest;

TEST_F(DiskQuota, WritesBeyondTheLimitFailWithEdquotAndTheHostKeepsTheLimit) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("limited");
  SandboxPolicy pol = disk_policy(work);
  ASSERT_GT(*pol.limits.file_size_bytes, 8 * MiB) << "the per-file cap must not be what stops the writes";
  pol.limits.disk_bytes = 8 * MiB;
  const ExecResult r = run(pol, sh(kWrite32MiB));

  const ControlStatus* st = r.enforcement.find(Control::disk);
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(st->requested);
  EXPECT_TRUE(st->applied) << st->detail;
  const std::string out = r.stdout_data + r.stderr_data;
  EXPECT_NE(out.find("Disk quota exceeded"), std::string::npos) << out;
  const std::uint64_t held = allocated_bytes(work);
  std::printf("[ measured ] with disk_bytes = 8 MiB: %.2f MiB on the host, disk_added_bytes = %s; %s\n",
              static_cast<double>(held) / MiB, r.backend_info.count("disk_added_bytes") ? r.backend_info.at("disk_added_bytes").c_str() : "-",
              st->detail.c_str());
  EXPECT_LE(held, 8 * MiB + 64 * 1024) << "the host holds no more than the limit (+ block rounding)";
  EXPECT_GE(held, 7 * MiB) << "writes up to the limit landed";
  EXPECT_EQ(leftover_projects(work), "") << "teardown restores the project ids";
  const std::uint32_t project = project_in(st->detail);
  EXPECT_TRUE(common::is_kavach_project(project)) << st->detail;
  const auto [limit_kib, used] = project_quota(work, project);
  EXPECT_EQ(limit_kib, 0u) << "teardown removes the limit";
  EXPECT_EQ(used, 0u) << "nothing is charged to the run's project any more";
}

// Negative control: the same writes without disk_bytes all land.
TEST_F(DiskQuota, WithoutTheLimitAllWritesLand) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("unlimited");
  const ExecResult r = run(disk_policy(work), sh(kWrite32MiB));
  const ControlStatus* st = r.enforcement.find(Control::disk);
  ASSERT_NE(st, nullptr);
  EXPECT_FALSE(st->requested);
  EXPECT_FALSE(st->applied);
  EXPECT_NE(st->detail.find("disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)"), std::string::npos)
      << st->detail;
  const std::string out = r.stdout_data + r.stderr_data;
  EXPECT_EQ(out.find("Disk quota exceeded"), std::string::npos) << out;
  const std::uint64_t held = allocated_bytes(work);
  std::printf("[ measured ] without disk_bytes: %.2f MiB on the host\n", static_cast<double>(held) / MiB);
  EXPECT_GE(held, 33 * MiB);
}

// Files that existed before the run are moved into the project: appending to one is charged.
TEST_F(DiskQuota, AppendingToAnExistingFileIsCharged) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("existing");
  ASSERT_EQ(shell("dd if=/dev/zero of=" + (work / "big").string() + " bs=1M count=2 conv=fsync").first, 0);
  ::chmod((work / "big").c_str(), 0666);
  SandboxPolicy pol = disk_policy(work);
  pol.limits.disk_bytes = 4 * MiB;
  const ExecResult r = run(pol, sh("dd if=/dev/zero of=big bs=1M count=16 oflag=append conv=notrunc,fsync 2>&1"));
  EXPECT_NE((r.stdout_data + r.stderr_data).find("Disk quota exceeded"), std::string::npos) << r.stdout_data;
  EXPECT_LE(allocated_bytes(work), 6 * MiB + 64 * 1024) << "2 MiB before + at most the 4 MiB limit";
  EXPECT_EQ(leftover_projects(work), "");
}

// A warm pool takes the quota at the hand-over: idle pooled sandboxes hold none, so a pool of
// two on one directory does not conflict with itself, and the warm run is bounded like a cold one.
TEST_F(DiskQuota, AWarmPoolTakesTheQuotaAtTheHandOver) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("warm");
  SandboxPolicy pol = disk_policy(work);
  pol.limits.disk_bytes = 8 * MiB;
  auto pool = process::WarmPool::create(probe_host_cached(), process::default_process_options(), pol, 2);
  ASSERT_TRUE(pool) << pool.error().message;
  ASSERT_TRUE((*pool)->wait_full(milliseconds(60'000))) << (*pool)->last_error().value_or("not full in time");
  EXPECT_EQ(fsx_of(work).project, 0u) << "idle pooled sandboxes hold no quota";
  auto r = (*pool)->exec(sh(kWrite32MiB));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_TRUE(r->enforcement.applied(Control::disk)) << r->enforcement.find(Control::disk)->detail;
  EXPECT_NE((r->stdout_data + r->stderr_data).find("Disk quota exceeded"), std::string::npos) << r->stdout_data;
  EXPECT_LE(allocated_bytes(work), 8 * MiB + 64 * 1024);
  EXPECT_EQ(leftover_projects(work), "");
}

// One quota per directory: a run on a directory another live run holds fails closed.
TEST_F(DiskQuota, ADirectoryHeldByALiveRunIsRefused) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("held");
  auto held = common::DiskQuota::apply({work}, 8 * MiB);
  ASSERT_TRUE(held) << held.error().message;
  SandboxPolicy pol = disk_policy(work);
  pol.limits.disk_bytes = 8 * MiB;
  auto r = backend_->exec(pol, sh("true"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::control_unavailable);
  EXPECT_NE(r.error().message.find("control disk"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("another kavach run"), std::string::npos) << r.error().message;
  ASSERT_TRUE((*held)->release());
  EXPECT_EQ(leftover_projects(work), "");
}

// A kavach that dies holding a quota leaves its record; gc (or the next run) undoes it.
TEST_F(DiskQuota, GcUndoesTheQuotaOfADeadRun) {
  QuotaFilesystem qfs;
  if (!qfs.skip_reason.empty()) GTEST_SKIP() << qfs.skip_reason;
  const fs::path work = qfs.work_dir("crashed");
  HostScratch records;
  const common::QuotaRecordStore store(records.path());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto q = common::DiskQuota::apply({work}, 8 * MiB, store);
    ::_exit(q ? 0 : 1);  // dies holding it: no destructor runs
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(common::is_kavach_project(fsx_of(work).project)) << "the dead run's quota is still there";
  ASSERT_EQ(store.list().size(), 1u);

  auto listed = common::collect_stale_disk_quotas(true, store);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].action, "would remove");
  EXPECT_TRUE(common::is_kavach_project(fsx_of(work).project)) << "a dry run changes nothing";

  auto removed = common::collect_stale_disk_quotas(false, store);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].kind, "disk_quota");
  EXPECT_EQ(removed[0].action, "removed");
  EXPECT_EQ(leftover_projects(work), "");
  EXPECT_TRUE(store.list().empty());
}

// Without a disk limit the report says that writes to the writable paths are unbounded.
TEST_F(DiskQuota, AnUnlimitedRunIsReportedUnbounded) {
  HostScratch work;
  ::chmod(work.path().c_str(), 0777);
  const ExecResult r = run(disk_policy(work.path()), sh("true"));
  const ControlStatus* st = r.enforcement.find(Control::disk);
  ASSERT_NE(st, nullptr);
  EXPECT_FALSE(st->requested);
  EXPECT_FALSE(st->applied);
  EXPECT_EQ(st->detail, "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)");
}

// tmpfs has no project quotas: a run asking for disk_bytes there fails closed naming the
// control, or, with `disk` in may_degrade, runs with the control not applied. (Not root: the
// control is refused for that reason first.)
TEST_F(DiskQuota, FailsClosedWhereTheFilesystemHasNoProjectQuotas) {
  HostScratch scratch;
  const fs::path dir = scratch.path();
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(shell("mount -t tmpfs -o size=4m,mode=0777 kavach-test " + dir.string()).first, 0);
  }
  ::chmod(dir.c_str(), 0777);
  SandboxPolicy pol = disk_policy(dir);
  pol.limits.disk_bytes = 8 * MiB;
  auto refused = backend_->exec(pol, sh("true"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::control_unavailable);
  EXPECT_NE(refused.error().message.find("control disk"), std::string::npos) << refused.error().message;
  if (root) {
    EXPECT_NE(refused.error().message.find(dir.string() + " is on tmpfs"), std::string::npos) << refused.error().message;
  }

  pol.may_degrade.insert(Control::disk);
  auto degraded = backend_->exec(pol, sh("echo ran"));
  if (root) (void)shell("umount " + dir.string());
  ASSERT_TRUE(degraded) << degraded.error().message;
  EXPECT_EQ(degraded->stdout_data, "ran\n");
  const ControlStatus* st = degraded->enforcement.find(Control::disk);
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(st->requested);
  EXPECT_FALSE(st->applied);
  EXPECT_NE(st->detail.find("degraded"), std::string::npos) << st->detail;
}

// On the filesystem of this machine's scratch directory: whatever it is, the report is truthful
// (applied with a quota where it has project quotas, else refused with the reason).
TEST_F(DiskQuota, HostScratchFilesystemIsReportedAsItIs) {
  HostScratch scratch;
  ::chmod(scratch.path().c_str(), 0777);
  SandboxPolicy pol = disk_policy(scratch.path());
  pol.limits.disk_bytes = 8 * MiB;
  const std::string why = common::project_quota_unavailable(scratch.path());
  auto r = backend_->exec(pol, sh("true"));
  std::printf("[ measured ] %s: %s\n", scratch.path().c_str(),
              r ? r->enforcement.find(Control::disk)->detail.c_str() : r.error().message.c_str());
  if (::geteuid() != 0 || !why.empty()) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().context.at("control"), "disk");
  } else {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->enforcement.applied(Control::disk));
  }
}

}  // namespace
}  // namespace kavach::testing
