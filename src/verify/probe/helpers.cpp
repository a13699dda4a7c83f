#include "helpers.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util.hpp"

namespace probe {

namespace {

int sleeper(int argc, char** argv) {
  // argv: sleeper <token> <seconds> [<marker dir>]. The token sits in argv so the harness can
  // find us in /proc; the marker file stays open while we live, so the harness also finds us
  // where sandboxed processes are no host processes (gVisor: whoever holds the file open).
  long secs = argc >= 3 ? std::strtol(argv[2], nullptr, 10) : 30;
  if (secs <= 0 || secs > 300) secs = 30;
  if (argc >= 4 && argv[3][0] == '/' && std::strchr(argv[1], '/') == nullptr) {
    std::string marker = std::string(argv[3]) + "/.sleeper-" + argv[1];
    (void)open(marker.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW, 0600);  // kept open on purpose
  }
  signal(SIGTERM, SIG_IGN);  // survive polite teardown: only a real kill must end us
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  double end = now_ms() + static_cast<double>(secs) * 1000.0;
  while (now_ms() < end) {
    timespec ts{0, 100 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return 0;
}

int creds() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  unsigned long long eff = 0;
  if (syscall(SYS_capget, &hdr, data) == 0) {
    eff = (static_cast<unsigned long long>(data[1].effective) << 32) | data[0].effective;
  }
  std::printf("uid=%u euid=%u capeff=%llx\n", getuid(), geteuid(), eff);
  return 0;
}

int spin(int argc, char** argv) {
  long secs = argc >= 2 ? std::strtol(argv[1], nullptr, 10) : 2;
  if (secs <= 0 || secs > 60) secs = 2;
  double end = now_ms() + static_cast<double>(secs) * 1000.0;
  volatile unsigned long x = 0;
  while (now_ms() < end) {
    for (int i = 0; i < 100000; ++i) x = x + static_cast<unsigned long>(i);
  }
  return 0;
}

}  // namespace

int run_helper(int argc, char** argv) {
  std::string cmd = argv[0];
  if (cmd == "sleeper") return sleeper(argc, argv);
  if (cmd == "creds") return creds();
  if (cmd == "exit") return argc >= 2 ? std::atoi(argv[1]) : 0;
  if (cmd == "crash") {
    int sig = argc >= 2 ? std::atoi(argv[1]) : SIGSEGV;
    signal(sig, SIG_DFL);
    if (sig == SIGSEGV) {
      // A real fault: unlike raise(), it also ends a pid-namespace init.
      volatile int* p = nullptr;
      *p = 1;
    }
    raise(sig);
    return 99;
  }
  if (cmd == "spin") return spin(argc - 1, argv + 1);
  return kNotAHelper;
}

}  // namespace probe
