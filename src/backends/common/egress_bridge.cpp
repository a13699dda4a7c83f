#include "backends/common/egress_bridge.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends/common/helper_binary.hpp"

namespace kavach::common {

Result<std::filesystem::path> find_egress_bridge_binary() {
  return find_helper_binary({"kavach-egress-bridge", "KAVACH_EGRESS_BRIDGE", KAVACH_BRIDGE_INSTALL_PATH,
                             KAVACH_BRIDGE_BUILD_PATH, "egress_proxy"});
}

Result<UniqueFd> listen_egress_socket(const std::filesystem::path& dir, uid_t owner, gid_t group) {
  auto failed = [&dir](const std::string& what) {
    return fail(ErrorCode::setup_failed, "the egress proxy's socket in " + dir.string() + ": " + what + ": " +
                                             std::strerror(errno),
                {{"stage", "network"}});
  };
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return failed("mkdir");
  if (::chown(dir.c_str(), owner, group) != 0 || ::chmod(dir.c_str(), 0750) != 0) return failed("chown/chmod");
  const std::string path = (dir / kEgressSocketName).string();
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return failed("path");
  }
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return failed("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  (void)::unlink(path.c_str());
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return failed("bind");
  if (::chown(path.c_str(), owner, group) != 0 || ::chmod(path.c_str(), 0660) != 0) return failed("chown/chmod");
  if (::listen(s.get(), 128) != 0) return failed("listen");
  return s;
}

std::vector<std::string> egress_bridge_argv(std::uint16_t port, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {kEgressBridgePathInSandbox, std::to_string(port),
                                   std::string(kEgressSocketDirInSandbox) + "/" + kEgressSocketName, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace kavach::common
