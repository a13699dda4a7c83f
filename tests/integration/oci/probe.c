/* A static probe for the container tests: it runs in any root filesystem (host view, a bare
 * directory, an unpacked image) and reports what the kernel (or gVisor's sentry) answers.
 *   probe hello              print "hello from probe"
 *   probe unshare            unshare(CLONE_NEWUSER): prints "unshare <errno name>"
 *   probe clone3             raw clone3 with a NULL argument: prints "clone3 <errno name>"
 *   probe int80              getpid via the i386 ABI (int $0x80): killed by SIGSYS when denied
 *   probe x32                getpid via the x32 ABI (nr | 0x40000000): killed when denied
 *   probe write PATH         create PATH, print "write ok" or "write <errno name>"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* errname(int e) {
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* what = argv[1];
  if (strcmp(what, "hello") == 0) {
    puts("hello from probe");
    return 0;
  }
  if (strcmp(what, "unshare") == 0) {
    int rc = unshare(CLONE_NEWUSER);
    printf("unshare %s\n", rc == 0 ? "ok" : errname(errno));
    return 0;
  }
  if (strcmp(what, "clone3") == 0) {
    long rc = syscall(435 /* clone3 */, NULL, 0);
    printf("clone3 %s\n", rc == 0 ? "ok" : errname(errno));
    return 0;
  }
  if (strcmp(what, "int80") == 0) {
    long ret;
    fflush(stdout);
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20 /* i386 getpid */) : "memory");
    printf("int80 returned %ld\n", ret);
    return 0;
  }
  if (strcmp(what, "x32") == 0) {
    long rc = syscall(0x40000000L | SYS_getpid);
    printf("x32 returned %ld (%s)\n", rc, rc < 0 ? errname(errno) : "ok");
    return 0;
  }
  if (strcmp(what, "write") == 0 && argc > 2) {
    int fd = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) {
      printf("write %s\n", errname(errno));
      return 0;
    }
    (void)!write(fd, "x\n", 2);
    close(fd);
    puts("write ok");
    return 0;
  }
  return 2;
}
