// The interpreter a program needs before it can run: what an exec failure with ENOENT often
// means when the program itself exists (its ELF loader or its #! interpreter is missing).
#pragma once

#include <filesystem>
#include <string>

namespace kavach::cli {

// PT_INTERP of an ELF executable (32- or 64-bit, either byte order), or the path after "#!" of a
// script; empty for a static binary, a file without either, or one that cannot be read.
[[nodiscard]] std::string program_interpreter(const std::filesystem::path& file);

}  // namespace kavach::cli
