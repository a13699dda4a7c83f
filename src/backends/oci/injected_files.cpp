#include "backends/oci/injected_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "backends/common/unique_fd.hpp"

namespace kavach::oci {

Result<std::vector<std::pair<std::filesystem::path, std::filesystem::path>>> write_injected_files(
    const std::filesystem::path& dir, const std::vector<InjectedFile>& files, uid_t uid, gid_t gid) {
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> out;
  if (files.empty()) return out;
  auto failed = [](const std::string& what, const std::filesystem::path& p) {
    return fail(ErrorCode::io_error, "injected file: " + what + " " + p.string() + ": " + std::strerror(errno),
                {{"path", p.string()}, {"stage", "files"}});
  };
  if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST) return failed("mkdir", dir);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const InjectedFile& f = files[i];
    const std::filesystem::path host = dir / std::to_string(i);
    common::UniqueFd fd(::open(host.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return failed("create", host);
    for (std::size_t done = 0; done < f.content.size();) {
      const ssize_t n = ::write(fd.get(), f.content.data() + done, f.content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return failed("write", host);
      done += static_cast<std::size_t>(n);
    }
    if (::fchown(fd.get(), uid, gid) != 0) return failed("chown", host);
    if (::fchmod(fd.get(), f.mode & 0777u) != 0) return failed("chmod", host);
    out.emplace_back(f.path, host);
  }
  return out;
}

}  // namespace kavach::oci
