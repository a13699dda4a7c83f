// The named syscall groups: reviewed data, kept in one place. Names use the x86_64 ABI spelling.
// A name that this libseccomp's table does not know is skipped when a program is built (old or
// new syscalls differ between versions); user-supplied names are validated instead.
#include <string_view>
#include <vector>

#include "kavach/syscalls.hpp"

namespace kavach {

// What glibc 2.36, sh/dash, bash, coreutils, python3, perl, gcc and static (C and Go) binaries
// use. Names with argument rules (clone, ioctl, socket, personality, mknod, mknodat,
// memfd_create, sendto, sendmsg, sendmmsg) are allowed only under those rules (see
// seccomp_arg_rules.cpp).
// clone3 is deliberately absent: it answers ENOSYS so libc falls back to the filtered clone.
// openat2 likewise: its mode lives in a struct seccomp cannot read (see the set-id rules), and
// libc never needs it.
// Left out on purpose (extra_allow them if needed): Linux AIO (io_setup charges the host-wide
// fs.aio-max-nr, so one sandbox could starve the host), sethostname/setdomainname, NUMA
// placement (mbind, set_mempolicy, move_pages, migrate_pages), get_robust_list, memfd_secret.
const std::vector<std::string_view>& strict_allowlist_syscalls() {
  static const std::vector<std::string_view> names = {
      // process lifecycle
      "clone", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
      "getpid", "getppid", "gettid", "set_tid_address", "arch_prctl", "prctl", "personality",
      "setsid", "getsid", "setpgid", "getpgid", "getpgrp", "restart_syscall",
      "pidfd_open", "pidfd_send_signal",
      // credentials: only ever lower privileges under no_new_privs in a user namespace
      "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
      "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
      "setfsuid", "setfsgid", "capget", "capset",
      // memory
      "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore", "mlock",
      "mlock2", "munlock", "mlockall", "munlockall", "membarrier", "pkey_alloc", "pkey_free",
      "pkey_mprotect", "get_mempolicy", "memfd_create", "map_shadow_stack",
      // threads and synchronisation
      "futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "set_robust_list",
      "rseq", "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
      "sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
      "sched_get_priority_min", "sched_rr_get_interval", "sched_getattr", "sched_setattr",
      "getcpu", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
      // signals (a PID namespace and Landlock's signal scope confine the targets)
      "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
      "rt_sigsuspend", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill",
      "tgkill", "pause", "signalfd", "signalfd4",
      // time
      "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
      "alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
      "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime", "timerfd_gettime",
      // limits and accounting of oneself
      "getrlimit", "setrlimit", "prlimit64", "getrusage", "times", "sysinfo", "uname", "umask",
      // file descriptors and I/O
      "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
      "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "flock",
      "ioctl", "pipe", "pipe2", "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
      "readahead", "fadvise64", "fallocate", "fsync", "fdatasync", "sync", "syncfs",
      "sync_file_range", "cachestat",
      // polling
      "select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
      "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
      // filesystem (Landlock and the mount view decide where)
      "open", "openat", "creat", "stat", "fstat", "lstat", "newfstatat", "statx",
      "statfs", "fstatfs", "access", "faccessat", "faccessat2", "getdents", "getdents64",
      "getcwd", "chdir", "fchdir", "rename", "renameat", "renameat2", "link", "linkat", "unlink",
      "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir",
      "mknod", "mknodat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
      "fchownat", "utime", "utimes", "utimensat", "futimesat", "truncate", "ftruncate",
      "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr",
      "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
      "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
      // sockets (socket() itself is argument-filtered; the network namespace and Landlock
      // decide reachability)
      "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname",
      "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
      "shutdown", "setsockopt", "getsockopt",
      // IPC (private IPC namespace)
      "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget",
      "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
      "mq_notify", "mq_getsetattr",
      // randomness
      "getrandom",
      // self-sandboxing only ever narrows what is allowed
      "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
  };
  return names;
}

// Denied under basic and strict (EPERM): kernel attack surface and host-wide state a sandboxed
// program has no business touching. personality and clone3 are handled by argument rules.
const std::vector<std::string_view>& dangerous_syscalls() {
  static const std::vector<std::string_view> names = {
      // namespaces and mount APIs (nested user namespaces are the classic privilege path)
      "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig",
      "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
      // large kernel attack surface
      "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
      "io_uring_register",
      // keyrings are not namespaced
      "keyctl", "add_key", "request_key",
      // other processes' memory and file descriptors
      "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
      "pidfd_getfd",
      // kernel code and system state
      "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
      "create_module", "get_kernel_syms", "query_module", "acct", "swapon", "swapoff", "reboot",
      "syslog", "lookup_dcookie", "quotactl", "quotactl_fd", "vhangup", "iopl", "ioperm",
      "modify_ldt", "uselib", "nfsservctl", "_sysctl",
      // host clock
      "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
      // host-wide quotas: every Linux AIO context charges fs.aio-max-nr (65536 for the whole
      // host), so one sandbox could leave the host's io_setup failing with EAGAIN
      "io_setup",
      // whole-filesystem watching and file-handle escapes (shocker)
      "fanotify_init", "open_by_handle_at", "name_to_handle_at",
  };
  return names;
}

}  // namespace kavach
