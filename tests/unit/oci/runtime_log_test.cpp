// What kavach reads from a runtime's JSON log: the last error, including runsc's fatal errors,
// which it logs at level warning ("FATAL ERROR: ..."). Without them a sandbox that never started
// was reported as the command's exit status 128.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backends/oci/container_run.hpp"

namespace kavach::oci {
namespace {

std::string last_error_of(const std::string& text) {
  char tmpl[] = "/tmp/kavach-runtime-log-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  std::ofstream(tmpl) << text;
  std::string e = last_log_error(tmpl);
  std::filesystem::remove(tmpl);
  return e;
}

TEST(OciRuntimeLog, RuncErrorsAndRunscFatalErrors) {
  EXPECT_EQ(last_error_of("{\"level\":\"info\",\"msg\":\"hello\"}\n{\"level\":\"error\",\"msg\":\"exec failed\"}\n"),
            "exec failed");
  EXPECT_EQ(last_error_of("{\"level\":\"warning\",\"msg\":\"FATAL ERROR: running container: creating container: "
                          "cannot create sandbox\"}\n"),
            "running container: creating container: cannot create sandbox");
  EXPECT_EQ(last_error_of("{\"level\":\"warning\",\"msg\":\"Failed to set RLIMIT_MEMLOCK\"}\nnot json\n"), "");
}

}  // namespace
}  // namespace kavach::oci
