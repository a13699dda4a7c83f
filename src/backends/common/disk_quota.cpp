#include "backends/common/disk_quota.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/dqblk_xfs.h>
#include <linux/fs.h>
#include <linux/quota.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

// quotactl_fd(2) is 443 on every architecture that has it; older headers lack the name.
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif

namespace kavach::common {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxDepth = 256;  // deeper trees are refused: each level holds two descriptors
constexpr const char* kHowTo =
    " (ext4: the 'quota' and 'project' features — mkfs.ext4 -O quota,project or tune2fs -O quota,project — "
    "and the prjquota mount option; xfs: the prjquota mount option)";

int quotactl_fd(int fd, int cmd, std::uint32_t id, void* addr) {
  return static_cast<int>(::syscall(SYS_quotactl_fd, fd, QCMD(cmd, PRJQUOTA), id, addr));
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string size_text(std::uint64_t bytes) {
  char buf[32];
  const auto v = static_cast<unsigned long long>(bytes);
  if (bytes % (1u << 20) == 0) std::snprintf(buf, sizeof buf, "%llu MiB", v >> 20);
  else if (bytes < (1u << 20)) std::snprintf(buf, sizeof buf, "%llu KiB", (v + 1023) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1u << 20));
  return buf;
}

struct MountFacts {
  std::string fstype = "an unknown filesystem";
  std::string source = "?";
};

// The filesystem type and source of device `dev`, from /proc/self/mountinfo.
MountFacts mount_facts(dev_t dev) {
  MountFacts m;
  std::ifstream in("/proc/self/mountinfo");
  const std::string want = std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, majmin;
    f >> id >> parent >> majmin;
    if (majmin != want) continue;
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    tail >> m.fstype >> m.source;
    return m;
  }
  return m;
}

struct Fsx {
  std::uint32_t project = 0;
  std::uint32_t xflags = 0;
};

bool get_fsx(int fd, Fsx& out) {
  struct fsxattr fa {};
  if (::ioctl(fd, FS_IOC_FSGETXATTR, &fa) != 0) return false;
  out.project = fa.fsx_projid;
  out.xflags = fa.fsx_xflags;
  return true;
}

// Tallies of one walk over a tree.
struct Walk {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  bool inherit = false;  // PROJINHERIT wanted on directories
  dev_t dev = 0;
  std::size_t moved = 0;
  std::size_t others = 0;  // inodes in some other project, left alone
  std::size_t failed = 0;
  std::string first_error;
  void failure(const std::string& what) {
    if (failed++ == 0) first_error = what;
  }
};

// Moves one inode from w.from to w.to (directories: PROJINHERIT as w.inherit).
void retag(int fd, bool is_dir, const std::string& where, Walk& w) {
  struct fsxattr fa {};
  if (::ioctl(fd, FS_IOC_FSGETXATTR, &fa) != 0) {
    w.failure(where + ": FS_IOC_FSGETXATTR: " + std::strerror(errno));
    return;
  }
  if (fa.fsx_projid != w.from) {
    if (fa.fsx_projid != w.to) ++w.others;
    return;
  }
  // Immutable inodes cannot grow and refuse the change: nothing to charge.
  if ((fa.fsx_xflags & FS_XFLAG_IMMUTABLE) != 0) return;
  fa.fsx_projid = w.to;
  if (is_dir) {
    fa.fsx_xflags = w.inherit ? (fa.fsx_xflags | FS_XFLAG_PROJINHERIT) : (fa.fsx_xflags & ~FS_XFLAG_PROJINHERIT);
  }
  if (::ioctl(fd, FS_IOC_FSSETXATTR, &fa) != 0) {
    w.failure(where + ": FS_IOC_FSSETXATTR: " + std::strerror(errno));
    return;
  }
  ++w.moved;
}

// Every directory and regular file below (and including) `dirfd`, on the same filesystem, by
// descriptor (no path is followed twice, no symlink at all). Other file types hold no blocks.
void walk(int dirfd, const std::string& where, int depth, Walk& w) {
  retag(dirfd, true, where, w);
  if (depth >= kMaxDepth) {
    w.failure(where + ": deeper than " + std::to_string(kMaxDepth) + " levels");
    return;
  }
  const int list_fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
  if (d == nullptr) {
    if (list_fd >= 0) ::close(list_fd);
    w.failure(where + ": cannot list: " + std::strerror(errno));
    return;
  }
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type != DT_DIR && e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    const std::string path = where + "/" + name;
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME));
    if (!fd && errno == EPERM) fd.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
      if (errno != ENOENT && errno != ELOOP) w.failure(path + ": cannot open: " + std::strerror(errno));
      continue;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || st.st_dev != w.dev) continue;  // a mount point: another filesystem
    if (S_ISDIR(st.st_mode)) walk(fd.get(), path, depth + 1, w);
    else if (S_ISREG(st.st_mode)) retag(fd.get(), false, path, w);
  }
  ::closedir(d);
}

struct Usage {
  std::uint64_t bytes = 0;
  std::uint64_t inodes = 0;
  std::uint64_t hard_kib = 0;
  std::uint64_t soft_kib = 0;
};

Result<Usage> project_usage(int fd, std::uint32_t project) {
  struct if_dqblk q {};
  if (quotactl_fd(fd, Q_GETQUOTA, project, &q) != 0) {
    if (errno == ENOENT) return Usage{};  // XFS: no dquot for this id yet
    return fail(ErrorCode::io_error, std::string("quotactl Q_GETQUOTA (project ") + hex(project) + "): " + std::strerror(errno));
  }
  return Usage{q.dqb_curspace, q.dqb_curinodes, q.dqb_bhardlimit, q.dqb_bsoftlimit};
}

// 0 or the errno of Q_SETQUOTA; a hard limit of 0 means none.
int set_block_limit(int fd, std::uint32_t project, std::uint64_t hard_kib) {
  struct if_dqblk q {};
  q.dqb_bhardlimit = hard_kib;
  q.dqb_bsoftlimit = 0;
  q.dqb_valid = QIF_BLIMITS;
  return quotactl_fd(fd, Q_SETQUOTA, project, &q) == 0 ? 0 : errno;
}

std::string set_limit_error(std::uint32_t project, int err) {
  return std::string("quotactl Q_SETQUOTA (project ") + hex(project) + "): " + std::strerror(err) +
         (err == EPERM ? " (needs CAP_SYS_ADMIN: run kavach as root)" : "");
}

std::uint32_t random_project() {
  std::uint16_t r = 0;
  while (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r) && errno == EINTR) {
  }
  return kProjectBase + r;
}

bool nested(const std::string& inner, const std::string& outer) {
  if (inner == outer) return true;
  const std::string prefix = outer == "/" ? outer : outer + "/";
  return inner.rfind(prefix, 0) == 0;
}

Error unavailable(const std::string& why) {
  return make_error(ErrorCode::control_unavailable, why, {{"control", "disk"}});
}

struct OpenDir {
  std::string path;
  UniqueFd fd;
  struct stat st {};
  Fsx fsx;
};

}  // namespace

std::string project_quota_unavailable(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return dir.string() + ": cannot open: " + std::strerror(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return dir.string() + ": cannot stat: " + std::strerror(errno);
  const MountFacts m = mount_facts(st.st_dev);
  const std::string on = dir.string() + " is on " + m.fstype + " (" + m.source + ")";
  Fsx fsx;
  if (!get_fsx(fd.get(), fsx)) return on + ", which has no project ids (FS_IOC_FSGETXATTR: " + std::strerror(errno) + ")";
  struct fs_quota_statv sv {};
  sv.qs_version = FS_QSTATV_VERSION1;
  if (quotactl_fd(fd.get(), Q_XGETQSTATV, 0, &sv) == 0) {
    if ((sv.qs_flags & FS_QUOTA_PDQ_ACCT) == 0) return on + " without project quotas" + kHowTo;
    if ((sv.qs_flags & FS_QUOTA_PDQ_ENFD) == 0) {
      return on + ", which counts project quotas but does not enforce them (mount with prjquota)";
    }
    return {};
  }
  // ENOSYS above also means "no quota type enabled at all": Q_GETINFO tells the two apart.
  struct if_dqinfo info {};
  if (quotactl_fd(fd.get(), Q_GETINFO, 0, &info) == 0) return {};
  if (errno == ESRCH) return on + " without project quotas" + kHowTo;
  return on + ", which has no quota support here (quotactl_fd: " + std::strerror(errno) +
         ": no quotas on this filesystem, or a kernel before 5.14)";
}

Result<std::unique_ptr<DiskQuota>> DiskQuota::apply(const std::vector<fs::path>& dirs, std::uint64_t bytes,
                                                    const QuotaRecordStore& store) {
  // 1. The directories, canonical, each checked; a directory inside another one on the same
  // filesystem is covered by the outer walk.
  std::vector<OpenDir> open;
  for (const auto& d : dirs) {
    std::error_code ec;
    const fs::path canon = fs::weakly_canonical(d, ec);
    OpenDir od;
    od.path = (ec ? d : canon).lexically_normal().string();
    if (const std::string why = project_quota_unavailable(od.path); !why.empty()) return tl::unexpected(unavailable(why));
    od.fd.reset(::open(od.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!od.fd || ::fstat(od.fd.get(), &od.st) != 0 || !get_fsx(od.fd.get(), od.fsx)) {
      return tl::unexpected(unavailable(od.path + ": " + std::strerror(errno)));
    }
    open.push_back(std::move(od));
  }
  std::sort(open.begin(), open.end(), [](const OpenDir& a, const OpenDir& b) { return a.path.size() < b.path.size(); });
  std::vector<OpenDir> roots;
  for (auto& od : open) {
    const bool covered = std::any_of(roots.begin(), roots.end(), [&](const OpenDir& r) {
      return r.st.st_dev == od.st.st_dev && (r.st.st_ino == od.st.st_ino || nested(od.path, r.path));
    });
    if (!covered) roots.push_back(std::move(od));
  }

  // 2. Under the store's lock: no live holder of these directories, stale ones undone, an id
  // reserved by writing the record before anything on disk changes.
  QuotaRecord record;
  {
    auto lock = store.lock();
    if (!lock) return tl::unexpected(lock.error());
    for (const auto& entry : store.list()) {
      if (!entry.record) continue;
      const QuotaRecord& held = *entry.record;
      const bool overlaps = std::any_of(held.roots.begin(), held.roots.end(), [&](const QuotaRoot& h) {
        return std::any_of(roots.begin(), roots.end(), [&](const OpenDir& r) {
          return h.dev == r.st.st_dev && (h.ino == r.st.st_ino || nested(r.path, h.path) || nested(h.path, r.path));
        });
      });
      if (!overlaps) continue;
      if (record_owner_alive(held)) {
        return tl::unexpected(unavailable(held.roots.front().path + " is under the disk quota of another kavach run (pid " +
                                          std::to_string(held.owner.pid) + ", project " + hex(held.project) +
                                          "); one disk-limited run per directory at a time"));
      }
      if (auto undone = undo_quota_record(held, store); !undone) {
        return tl::unexpected(unavailable("a stale disk quota (project " + hex(held.project) +
                                          ") cannot be undone: " + undone.error().message));
      }
    }
    record.limit_bytes = bytes;
    record.owner = current_owner();
    record.boot_id = current_boot_id();
    for (auto& r : roots) {
      if (!get_fsx(r.fd.get(), r.fsx)) return tl::unexpected(unavailable(r.path + ": " + std::strerror(errno)));
      if (is_kavach_project(r.fsx.project)) {
        return tl::unexpected(unavailable(r.path + " carries kavach project id " + hex(r.fsx.project) +
                                          " with no record left to undo it (`chattr -R -p 0 " + r.path +
                                          "` clears it)"));
      }
      record.roots.push_back({r.path, r.st.st_dev, r.st.st_ino, r.fsx.project,
                              (r.fsx.xflags & FS_XFLAG_PROJINHERIT) != 0});
    }
    bool reserved = false;
    for (int attempt = 0; attempt < 64 && !reserved; ++attempt) {
      record.project = random_project();
      bool unused = true;
      for (const auto& r : roots) {
        auto u = project_usage(r.fd.get(), record.project);
        if (!u) return tl::unexpected(unavailable(r.path + ": " + u.error().message));
        unused = unused && u->bytes == 0 && u->inodes == 0 && u->hard_kib == 0 && u->soft_kib == 0;
      }
      if (!unused) continue;
      auto created = store.create(record);
      if (!created) return tl::unexpected(created.error());
      reserved = *created;
    }
    if (!reserved) return tl::unexpected(unavailable("no unused project id found in kavach's range"));
  }
  std::unique_ptr<DiskQuota> q(new DiskQuota(record, store));

  // 3. Move the trees into the project, then set the limit on each filesystem.
  std::size_t moved = 0;
  std::size_t others = 0;
  for (const auto& r : roots) {
    Walk w;
    w.from = r.fsx.project;
    w.to = record.project;
    w.inherit = true;
    w.dev = r.st.st_dev;
    walk(r.fd.get(), r.path, 0, w);
    moved += w.moved;
    others += w.others;
    if (w.failed > 0) {
      (void)q->release();
      return tl::unexpected(unavailable("cannot charge " + std::to_string(w.failed) + " entries to the project, first: " +
                                        w.first_error));
    }
  }
  std::string where;
  for (auto& r : roots) {
    const auto dev = static_cast<std::uint64_t>(r.st.st_dev);
    if (std::any_of(q->filesystems_.begin(), q->filesystems_.end(), [&](const Filesystem& f) { return f.dev == dev; })) {
      continue;
    }
    auto u = project_usage(r.fd.get(), record.project);
    const int err = u ? set_block_limit(r.fd.get(), record.project, (u->bytes + bytes + 1023) / 1024) : 0;
    if (!u || err != 0) {
      (void)q->release();
      return tl::unexpected(unavailable(r.path + ": " + (u ? set_limit_error(record.project, err) : u.error().message)));
    }
    const MountFacts m = mount_facts(r.st.st_dev);
    where += (where.empty() ? "" : ", ") + m.source + " (" + m.fstype + ", " + size_text(u->bytes) + " there before)";
    q->filesystems_.push_back({std::move(r.fd), dev, u->bytes});
  }
  q->detail_ = size_text(bytes) + " may be added: project quota " + hex(record.project) + " on " + where + "; " +
               std::to_string(roots.size()) + (roots.size() == 1 ? " directory, " : " directories, ") +
               std::to_string(moved) + " inodes charged" +
               (others > 0 ? ", " + std::to_string(others) + " in other projects left uncharged" : "") +
               (q->filesystems_.size() > 1 ? "; the limit holds per filesystem" : "");
  return q;
}

DiskQuota::~DiskQuota() { (void)release(); }

std::uint64_t DiskQuota::usage_now() const {
  std::uint64_t added = 0;
  for (const auto& f : filesystems_) {
    auto u = project_usage(f.fd.get(), record_.project);
    if (u && u->bytes > f.baseline) added += u->bytes - f.baseline;
  }
  return added;
}

std::uint64_t DiskQuota::added_bytes() const { return released_ ? final_added_ : usage_now(); }

Result<void> DiskQuota::release() {
  if (released_) return {};
  final_added_ = usage_now();
  released_ = true;
  filesystems_.clear();
  return undo_quota_record(record_, store_);
}

Result<void> undo_quota_record(const QuotaRecord& r, const QuotaRecordStore& store) {
  std::string errors;
  std::vector<std::uint64_t> limits_removed;
  for (const auto& root : r.roots) {
    UniqueFd fd(::open(root.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
      if (errno == ENOENT) continue;  // the directory is gone, and its inodes with it
      errors += (errors.empty() ? "" : "; ") + root.path + ": " + std::strerror(errno);
      continue;
    }
    if (st.st_dev != root.dev || st.st_ino != root.ino) continue;  // another directory now: not ours
    if (std::find(limits_removed.begin(), limits_removed.end(), root.dev) == limits_removed.end()) {
      // Quotas switched off since (ESRCH, ENOSYS) leave no limit to remove.
      if (const int err = set_block_limit(fd.get(), r.project, 0); err != 0 && err != ESRCH && err != ENOSYS) {
        errors += (errors.empty() ? "" : "; ") + set_limit_error(r.project, err);
      }
      limits_removed.push_back(root.dev);
    }
    Walk w;
    w.from = r.project;
    w.to = root.prev_project;
    w.inherit = root.prev_inherit;
    w.dev = st.st_dev;
    walk(fd.get(), root.path, 0, w);
    if (w.failed > 0) {
      errors += (errors.empty() ? "" : "; ") + std::to_string(w.failed) + " entries keep project " + hex(r.project) +
                ", first: " + w.first_error;
    }
  }
  if (!errors.empty()) {
    return fail(ErrorCode::io_error, "disk quota " + hex(r.project) + " not fully undone (kept for kavach gc): " + errors);
  }
  return store.remove(r.project);
}

std::vector<GcEntry> collect_stale_disk_quotas(bool dry_run, const QuotaRecordStore& store) {
  std::vector<GcEntry> out;
  std::error_code ec;
  if (!fs::is_directory(store.dir(), ec)) return out;
  auto lock = store.lock();
  if (!lock) {
    out.push_back({"disk_quota", store.dir().string(), "", "failed: " + lock.error().message});
    return out;
  }
  for (const auto& entry : store.list()) {
    if (!entry.record) {
      out.push_back({"disk_quota", entry.file.string(), "", "failed: " + entry.record.error().message});
      continue;
    }
    const QuotaRecord& r = *entry.record;
    std::string paths;
    for (const auto& root : r.roots) paths += (paths.empty() ? "" : ", ") + root.path;
    const std::string name = "project " + hex(r.project) + " on " + paths;
    const std::string owner = "owner pid " + std::to_string(r.owner.pid);
    if (record_owner_alive(r)) {
      out.push_back({"disk_quota", name, owner, "kept: owner alive"});
    } else if (dry_run) {
      out.push_back({"disk_quota", name, owner, "would remove"});
    } else {
      auto undone = undo_quota_record(r, store);
      out.push_back({"disk_quota", name, owner, undone ? "removed" : "failed: " + undone.error().message});
    }
  }
  return out;
}

}  // namespace kavach::common
