#include "backends/oci/bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "backends/oci/spec.hpp"

namespace kavach::oci {

Result<std::unique_ptr<Bundle>> Bundle::create(const StateDirs& dirs, const std::string& id, const RuntimeCommand& rt,
                                               uid_t host_uid, gid_t host_gid, std::optional<uid_t> mapped_root) {
  const std::filesystem::path dir = dirs.bundles() / id;
  if (::mkdir(dir.c_str(), kBundleDirMode) != 0) {
    return fail(ErrorCode::io_error, "cannot create bundle " + dir.string() + ": " + std::strerror(errno),
                {{"path", dir.string()}});
  }
  (void)::chmod(dir.c_str(), kBundleDirMode);
  // In a user namespace the runtime's init prepares the rootfs as the container's root, an
  // unprivileged host id: it must be able to enter the directory (root reads anyway).
  if (mapped_root && ::chown(dir.c_str(), *mapped_root, static_cast<gid_t>(-1)) != 0) {
    const int e = errno;
    (void)::rmdir(dir.c_str());
    return fail(ErrorCode::io_error, "cannot hand bundle " + dir.string() + " to the container's root: " + std::strerror(e),
                {{"path", dir.string()}});
  }
  std::unique_ptr<Bundle> b(new Bundle(dir, id, rt, host_uid, host_gid));
  const Owner owner = current_owner();
  nlohmann::json rec = {{"id", id},
                        {"pid", owner.pid},
                        {"start_time", owner.start_time},
                        {"runtime", rt.runtime.name},
                        {"runtime_path", rt.runtime.path},
                        {"global_args", rt.global_args}};
  std::ofstream out(dir / kOwnerFile);
  out << rec.dump() << "\n";
  if (!out) {
    return fail(ErrorCode::io_error, "cannot write " + (dir / kOwnerFile).string(), {{"path", dir.string()}});
  }
  return b;
}


Result<void> Bundle::write_config(const nlohmann::json& spec) const {
  const auto path = dir_ / "config.json";
  // 0600 from the first byte (it may hold injected values); never an existing file or a link.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(ErrorCode::io_error, "cannot create " + path.string() + ": " + std::strerror(errno),
                {{"path", path.string()}});
  }
  std::string text = spec.dump(1) + "\n";
  std::size_t off = 0;
  int err = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  ::explicit_bzero(text.data(), text.size());  // the spec text may carry secret values
  if (err != 0) {
    return fail(ErrorCode::io_error, "cannot write " + path.string() + ": " + std::strerror(err),
                {{"path", path.string()}});
  }
  return {};
}

Result<void> Bundle::cleanup() noexcept {
  if (cleaned_) return {};
  cleaned_ = true;
  Result<void> first;
  try {
    if (container_ && container_known(rt_, id_)) {
      if (auto r = delete_container(rt_, id_); !r && first) first = r;
    }
    idmaps_.release();
    if (auto r = remove_bundle_dir(dir_); !r && first) first = r;
  } catch (const std::exception& e) {
    if (first) first = fail(ErrorCode::internal, std::string("bundle cleanup: ") + e.what());
  }
  return first;
}

Result<void> remove_bundle_dir(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  if (name.rfind(kContainerPrefix, 0) != 0 || dir.parent_path().filename() != "bundles") {
    return fail(ErrorCode::internal, "refusing to remove " + dir.string() + ": not a kavach bundle",
                {{"path", dir.string()}});
  }
  detach_all_below(dir);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return fail(ErrorCode::io_error, "cannot remove bundle " + dir.string() + ": " + ec.message(),
                {{"path", dir.string()}});
  }
  return {};
}

}  // namespace kavach::oci
