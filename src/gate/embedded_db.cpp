// The builtin rule database, compiled and serialized at build time by kavach-gate-dbgen
// (src/gate/CMakeLists.txt) and linked in as read-only data: loading it is a deserialization.
#include "gate/embedded_db.hpp"

#ifndef KAVACH_GATE_BUILTIN_DB
#error "KAVACH_GATE_BUILTIN_DB must name the generated database file"
#endif

// Its digest: changes this translation unit whenever the database's bytes change (ccache).
#include KAVACH_GATE_BUILTIN_DB_STAMP

__asm__(".pushsection .rodata.kavach_gate_db, \"a\"\n"
        ".balign 64\n"
        ".globl kavach_gate_builtin_db_begin\n"
        ".hidden kavach_gate_builtin_db_begin\n"
        "kavach_gate_builtin_db_begin:\n"
        ".incbin \"" KAVACH_GATE_BUILTIN_DB "\"\n"
        ".globl kavach_gate_builtin_db_end\n"
        ".hidden kavach_gate_builtin_db_end\n"
        "kavach_gate_builtin_db_end:\n"
        ".popsection\n");

extern "C" {
__attribute__((visibility("hidden"))) extern const char kavach_gate_builtin_db_begin[];
__attribute__((visibility("hidden"))) extern const char kavach_gate_builtin_db_end[];
}

namespace kavach::gate::detail {

std::string_view builtin_db_bytes() {
  return {kavach_gate_builtin_db_begin,
          static_cast<std::size_t>(kavach_gate_builtin_db_end - kavach_gate_builtin_db_begin)};
}

}  // namespace kavach::gate::detail
