#include "abi.hpp"

namespace probe {

long int80(long nr, long a1, long a2, long a3) {
  long ret = 0;
  // The compat entry preserves r8-r11 on current kernels; list them anyway for older ones.
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a1), "c"(a2), "d"(a3)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

}  // namespace probe
