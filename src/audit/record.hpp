// The on-disk format of the audit chain: one record per line, the sealed head file, and the
// rollback anchor kept outside the log.
//   record: {"seq":N,"log":"<32 hex>","prev":"<64 hex>","event":{...},"mac":"<64 hex>"}
//   head:   {"log":"<32 hex>","seq":N,"mac":"<MAC of record N>","head_mac":"<64 hex>"}
//   anchor: {"log":"<32 hex>","seq":N,"mac":"<MAC of record N>","end":BYTES,"path":"...","anchor_mac":"<64 hex>"}
// A MAC covers the exact bytes before its own `,"mac":` / `,"head_mac":` / `,"anchor_mac":`
// suffix, so verification never depends on how a JSON library re-serializes numbers or strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kavach::detail {

inline constexpr std::size_t kLogIdHexLen = 32;

struct Record {
  std::uint64_t seq = 0;
  std::string log_id;
  std::string prev;
  std::string mac;
  std::string_view body;  // the MACed bytes (points into the parsed line)
};

struct Head {
  std::string log_id;
  std::uint64_t seq = 0;  // 0: no record yet
  std::string mac;        // MAC of record `seq` (the genesis value when seq == 0)
  std::string head_mac;
  std::string_view body;
};

// The chain's starting "previous MAC" for a log id.
[[nodiscard]] std::string genesis_mac(std::string_view key, std::string_view log_id);

// A complete line including '\n'; `mac_out` receives the record's MAC.
[[nodiscard]] std::string make_record_line(std::string_view key, std::uint64_t seq, std::string_view log_id,
                                           std::string_view prev, std::string_view event_json,
                                           std::string& mac_out);
// `line` without its '\n'. nullopt if it is not a well-formed record.
[[nodiscard]] std::optional<Record> parse_record(std::string_view line);
[[nodiscard]] bool record_authentic(std::string_view key, const Record& r);

[[nodiscard]] std::string make_head(std::string_view key, std::string_view log_id, std::uint64_t seq,
                                    std::string_view mac);
[[nodiscard]] std::optional<Head> parse_head(std::string_view text);
[[nodiscard]] bool head_authentic(std::string_view key, const Head& h);

// One record of a log, located: its seq and MAC, and the file offset just after it.
struct AnchorPoint {
  std::string log_id;
  std::uint64_t seq = 0;
  std::string mac;
  std::uint64_t end = 0;
};

struct Anchor {
  AnchorPoint point;
  std::string log_path;  // where the log was when anchored; informational only
  std::string anchor_mac;
  std::string_view body;
};

// A complete anchor file including '\n'.
[[nodiscard]] std::string make_anchor(std::string_view key, const AnchorPoint& point, std::string_view log_path);
// nullopt unless `text` is a well-formed anchor of a record (seq >= 1).
[[nodiscard]] std::optional<Anchor> parse_anchor(std::string_view text);
[[nodiscard]] bool anchor_authentic(std::string_view key, const Anchor& a);

}  // namespace kavach::detail
