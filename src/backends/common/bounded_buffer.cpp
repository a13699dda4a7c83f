#include "backends/common/bounded_buffer.hpp"

#include <algorithm>

namespace kavach::common {

void BoundedBuffer::append(const char* data, std::size_t n) {
  total_ += n;
  const std::uint64_t room = cap_ > data_.size() ? cap_ - data_.size() : 0;
  const auto keep = static_cast<std::size_t>(std::min<std::uint64_t>(room, n));
  if (keep > 0) data_.append(data, keep);
}

}  // namespace kavach::common
