// RAII owners for Hyperscan objects.
#pragma once

#include <memory>

#include <hs.h>

namespace kavach::gate::detail {

struct HsDatabaseFree {
  void operator()(hs_database_t* p) const noexcept { hs_free_database(p); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* p) const noexcept { hs_free_scratch(p); }
};
struct HsCompileErrorFree {
  void operator()(hs_compile_error_t* p) const noexcept { hs_free_compile_error(p); }
};
struct HsMiscFree {
  void operator()(char* p) const noexcept { free(p); }  // NOLINT: Hyperscan allocates with malloc
};

using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseFree>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchFree>;
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorFree>;
using HsBytes = std::unique_ptr<char, HsMiscFree>;

// A stream must be closed with a scratch (hs_close_stream may report end-anchored matches);
// owners call close explicitly, this deleter only guarantees the memory is released.
struct HsStreamFree {
  void operator()(hs_stream_t* p) const noexcept { hs_close_stream(p, nullptr, nullptr, nullptr); }
};
using HsStream = std::unique_ptr<hs_stream_t, HsStreamFree>;

}  // namespace kavach::gate::detail
