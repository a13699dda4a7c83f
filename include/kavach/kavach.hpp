// Everything public in one include.
#pragma once

#include "kavach/audit.hpp"
#include "kavach/backend.hpp"
#include "kavach/backend_kind.hpp"
#include "kavach/config.hpp"
#include "kavach/enforcement.hpp"
#include "kavach/error.hpp"
#include "kavach/gate.hpp"
#include "kavach/host.hpp"
#include "kavach/lifecycle.hpp"
#include "kavach/policy.hpp"
#include "kavach/result.hpp"
#include "kavach/sandbox.hpp"
#include "kavach/score.hpp"
#include "kavach/syscalls.hpp"
#include "kavach/gc.hpp"
#include "kavach/json.hpp"
