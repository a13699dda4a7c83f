// Raw syscall entry points for foreign ABIs (i386 via int $0x80, x32 via the 0x40000000 bit).
#pragma once

namespace probe {

// i386 syscall through int $0x80 (arguments are truncated to 32 bits by the kernel).
long int80(long nr, long a1 = 0, long a2 = 0, long a3 = 0);

inline constexpr long kX32Bit = 0x40000000L;

// i386 numbers used by the probes.
inline constexpr long kI386Exit = 1;
inline constexpr long kI386Getpid = 20;
inline constexpr long kI386Access = 33;

}  // namespace probe
