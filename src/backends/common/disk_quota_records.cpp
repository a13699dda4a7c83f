#include "backends/common/disk_quota_records.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace kavach::common {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& p) {
  return make_error(ErrorCode::io_error, what + " " + p.string() + ": " + std::strerror(errno),
                    {{"path", p.string()}});
}

}  // namespace

std::string record_to_json(const QuotaRecord& r) {
  nlohmann::json roots = nlohmann::json::array();
  for (const auto& q : r.roots) {
    roots.push_back({{"path", q.path},
                     {"dev", q.dev},
                     {"ino", q.ino},
                     {"prev_project", q.prev_project},
                     {"prev_inherit", q.prev_inherit}});
  }
  return nlohmann::json{{"project", r.project},
                        {"limit_bytes", r.limit_bytes},
                        {"pid", r.owner.pid},
                        {"start_time", r.owner.start_time},
                        {"boot_id", r.boot_id},
                        {"roots", roots}}
      .dump(2);
}

Result<QuotaRecord> record_from_json(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    QuotaRecord r;
    r.project = j.at("project").get<std::uint32_t>();
    r.limit_bytes = j.at("limit_bytes").get<std::uint64_t>();
    r.owner.pid = j.at("pid").get<pid_t>();
    r.owner.start_time = j.at("start_time").get<std::uint64_t>();
    r.boot_id = j.at("boot_id").get<std::string>();
    for (const auto& q : j.at("roots")) {
      r.roots.push_back({q.at("path").get<std::string>(), q.at("dev").get<std::uint64_t>(),
                         q.at("ino").get<std::uint64_t>(), q.at("prev_project").get<std::uint32_t>(),
                         q.at("prev_inherit").get<bool>()});
    }
    return r;
  } catch (const std::exception& e) {
    return fail(ErrorCode::io_error, std::string("unreadable disk quota record: ") + e.what());
  }
}

std::string current_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

bool record_owner_alive(const QuotaRecord& r) {
  return r.boot_id == current_boot_id() && owner_alive(r.owner);
}

std::filesystem::path QuotaRecordStore::file_for(std::uint32_t project) const {
  char name[32];
  std::snprintf(name, sizeof name, "%08x.json", project);
  return dir_ / name;
}

Result<UniqueFd> QuotaRecordStore::lock() const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return fail(ErrorCode::io_error, "cannot create " + dir_.string() + ": " + ec.message(),
                {{"path", dir_.string()}});
  }
  const auto path = dir_ / ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return tl::unexpected(io_error("cannot open", path));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return tl::unexpected(io_error("cannot lock", path));
  }
  return fd;
}

Result<bool> QuotaRecordStore::create(const QuotaRecord& r) const {
  const auto path = file_for(r.project);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    if (errno == EEXIST) return false;
    return tl::unexpected(io_error("cannot create", path));
  }
  const std::string text = record_to_json(r) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Error e = io_error("cannot write", path);
      ::unlink(path.c_str());
      return tl::unexpected(e);
    }
    done += static_cast<std::size_t>(n);
  }
  // The record must be on disk before the directory is changed: it is what undoes the change.
  if (::fsync(fd.get()) != 0) {
    const Error e = io_error("cannot sync", path);
    ::unlink(path.c_str());
    return tl::unexpected(e);
  }
  return true;
}

Result<void> QuotaRecordStore::remove(std::uint32_t project) const {
  const auto path = file_for(project);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return tl::unexpected(io_error("cannot remove", path));
  return {};
}

std::vector<QuotaRecordStore::Entry> QuotaRecordStore::list() const {
  std::vector<Entry> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.push_back({e.path(), record_from_json(text)});
  }
  return out;
}

}  // namespace kavach::common
