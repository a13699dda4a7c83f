// Collects Hyperscan hits, folding nearby hits of one pattern into one window so that a dense
// input (a long run matched at every byte) costs one entry, not one per byte.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gate/hs_compile.hpp"

namespace kavach::gate::detail {

struct Hit {
  std::uint32_t pattern = 0;
  std::uint64_t first = 0;  // first and last match end seen for this window
  std::uint64_t last = 0;
};

class HitCollector {
 public:
  explicit HitCollector(const std::vector<PatternRef>& patterns)
      : patterns_(&patterns), index_(patterns.size(), -1) {}

  void add(std::uint32_t pattern, std::uint64_t end) {
    if (pattern >= index_.size()) return;
    const std::int64_t i = index_[pattern];
    if (i >= 0) {
      Hit& h = hits_[static_cast<std::size_t>(i)];
      if (end <= h.last + (*patterns_)[pattern].left + 1) {
        h.last = end > h.last ? end : h.last;
        return;
      }
    }
    index_[pattern] = static_cast<std::int64_t>(hits_.size());
    hits_.push_back(Hit{pattern, end, end});
  }

  // A hit whose window is known on both sides (digit runs): [first - left, last + right].
  void add_range(std::uint32_t pattern, std::uint64_t first, std::uint64_t last) {
    if (pattern >= index_.size()) return;
    index_[pattern] = static_cast<std::int64_t>(hits_.size());
    hits_.push_back(Hit{pattern, first, last});
  }

  // Hyperscan callback (context = HitCollector*).
  static int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to,
                      unsigned /*flags*/, void* ctx) {
    static_cast<HitCollector*>(ctx)->add(id, to);
    return 0;
  }

  [[nodiscard]] std::vector<Hit>& hits() { return hits_; }
  // After the caller removed or changed hits: rebuild the pattern -> latest hit index.
  void reindex() {
    std::fill(index_.begin(), index_.end(), -1);
    for (std::size_t i = 0; i < hits_.size(); ++i) {
      index_[hits_[i].pattern] = static_cast<std::int64_t>(i);
    }
  }

 private:
  const std::vector<PatternRef>* patterns_;
  std::vector<std::int64_t> index_;
  std::vector<Hit> hits_;
};

}  // namespace kavach::gate::detail
