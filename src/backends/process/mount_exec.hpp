// Child side of the filesystem view: executes the parent's mount plan. ASYNC-SIGNAL-SAFE.
#pragma once

#include "backends/process/child_plan.hpp"

namespace kavach::process {

// Private propagation, scratch tmpfs at plan.base_dir, first pivot (host tree at /oldroot),
// the plan's ops (building /newroot), final pivot into /newroot and detach of the old root.
// Returns 0 or errno; *failed_op is the index of the failing op (-1 for the fixed steps).
int build_root(const ChildPlan& plan, int* failed_op) noexcept;

}  // namespace kavach::process
