// A capture buffer that keeps at most `cap` bytes and remembers whether more arrived.
// Memory stays bounded however much the producer writes (an output flood costs CPU, not RAM).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kavach::common {

class BoundedBuffer {
 public:
  explicit BoundedBuffer(std::uint64_t cap) : cap_(cap) {}

  // Keep what fits under the cap; count everything.
  void append(const char* data, std::size_t n);

  [[nodiscard]] bool truncated() const { return total_ > data_.size(); }
  [[nodiscard]] std::uint64_t total_bytes() const { return total_; }
  [[nodiscard]] const std::string& data() const { return data_; }
  [[nodiscard]] std::string take() { return std::move(data_); }

 private:
  std::uint64_t cap_;
  std::uint64_t total_ = 0;
  std::string data_;
};

}  // namespace kavach::common
