#include "audit/record.hpp"

#include <nlohmann/json.hpp>

#include "audit/mac.hpp"

namespace kavach::detail {
namespace {

bool is_hex_of_len(std::string_view s, std::size_t len) {
  if (s.size() != len) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Splits `text` into (body, mac) where text == body + `,"<field>":"<mac>"}`.
std::optional<std::pair<std::string_view, std::string_view>> split_mac(std::string_view text,
                                                                        std::string_view field) {
  const std::string lead = ",\"" + std::string(field) + "\":\"";
  const std::size_t suffix_len = lead.size() + kMacHexLen + 2;
  if (text.size() <= suffix_len) return std::nullopt;
  const std::string_view suffix = text.substr(text.size() - suffix_len);
  if (suffix.substr(0, lead.size()) != lead || suffix.substr(suffix.size() - 2) != "\"}") return std::nullopt;
  const std::string_view mac = suffix.substr(lead.size(), kMacHexLen);
  if (!is_mac_hex(mac)) return std::nullopt;
  return std::pair{text.substr(0, text.size() - suffix_len), mac};
}

std::optional<nlohmann::json> parse_object(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::string> hex_field(const nlohmann::json& j, const char* key, std::size_t len) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  const auto& s = it->get_ref<const std::string&>();
  if (!is_hex_of_len(s, len)) return std::nullopt;
  return s;
}

std::optional<std::uint64_t> uint_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

}  // namespace

std::string genesis_mac(std::string_view key, std::string_view log_id) {
  return mac_hex(key, MacDomain::genesis, log_id);
}

std::string make_record_line(std::string_view key, std::uint64_t seq, std::string_view log_id,
                             std::string_view prev, std::string_view event_json, std::string& mac_out) {
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"log\":\"" + std::string(log_id) +
                     "\",\"prev\":\"" + std::string(prev) + "\",\"event\":" + std::string(event_json);
  mac_out = mac_hex(key, MacDomain::record, line);
  line += ",\"mac\":\"" + mac_out + "\"}\n";
  return line;
}

std::optional<Record> parse_record(std::string_view line) {
  const auto split = split_mac(line, "mac");
  if (!split) return std::nullopt;
  const auto j = parse_object(line);
  if (!j) return std::nullopt;
  Record r;
  const auto seq = uint_field(*j, "seq");
  auto log_id = hex_field(*j, "log", kLogIdHexLen);
  auto prev = hex_field(*j, "prev", kMacHexLen);
  auto mac = hex_field(*j, "mac", kMacHexLen);
  const auto ev = j->find("event");
  if (!seq || !log_id || !prev || !mac || ev == j->end() || !ev->is_object() || *mac != split->second) {
    return std::nullopt;
  }
  r.seq = *seq;
  r.log_id = std::move(*log_id);
  r.prev = std::move(*prev);
  r.mac = std::move(*mac);
  r.body = split->first;
  return r;
}

bool record_authentic(std::string_view key, const Record& r) {
  return mac_equal(mac_hex(key, MacDomain::record, r.body), r.mac);
}

std::string make_head(std::string_view key, std::string_view log_id, std::uint64_t seq, std::string_view mac) {
  // seq is padded with spaces (valid JSON whitespace) to the widest uint64, so every head of a
  // log has the same length and can be rewritten in place.
  std::string seq_text = std::to_string(seq);
  seq_text.resize(20, ' ');
  std::string text = "{\"log\":\"" + std::string(log_id) + "\",\"seq\":" + seq_text + ",\"mac\":\"" +
                     std::string(mac) + "\"";
  text += ",\"head_mac\":\"" + mac_hex(key, MacDomain::head, text) + "\"}\n";
  return text;
}

std::optional<Head> parse_head(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto split = split_mac(text, "head_mac");
  if (!split) return std::nullopt;
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto seq = uint_field(*j, "seq");
  auto log_id = hex_field(*j, "log", kLogIdHexLen);
  auto mac = hex_field(*j, "mac", kMacHexLen);
  auto head_mac = hex_field(*j, "head_mac", kMacHexLen);
  if (!seq || !log_id || !mac || !head_mac || *head_mac != split->second) return std::nullopt;
  Head h;
  h.seq = *seq;
  h.log_id = std::move(*log_id);
  h.mac = std::move(*mac);
  h.head_mac = std::move(*head_mac);
  h.body = split->first;
  return h;
}

bool head_authentic(std::string_view key, const Head& h) {
  return mac_equal(mac_hex(key, MacDomain::head, h.body), h.head_mac);
}

std::string make_anchor(std::string_view key, const AnchorPoint& point, std::string_view log_path) {
  // The path is informational and may not be UTF-8; `replace` keeps the anchor valid JSON.
  const std::string path_json =
      nlohmann::json(std::string(log_path)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string text = "{\"log\":\"" + point.log_id + "\",\"seq\":" + std::to_string(point.seq) + ",\"mac\":\"" +
                     point.mac + "\",\"end\":" + std::to_string(point.end) + ",\"path\":" + path_json;
  text += ",\"anchor_mac\":\"" + mac_hex(key, MacDomain::anchor, text) + "\"}\n";
  return text;
}

std::optional<Anchor> parse_anchor(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto split = split_mac(text, "anchor_mac");
  if (!split) return std::nullopt;
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto seq = uint_field(*j, "seq");
  const auto end = uint_field(*j, "end");
  auto log_id = hex_field(*j, "log", kLogIdHexLen);
  auto mac = hex_field(*j, "mac", kMacHexLen);
  auto anchor_mac = hex_field(*j, "anchor_mac", kMacHexLen);
  const auto path = j->find("path");
  if (!seq || *seq == 0 || !end || *end == 0 || !log_id || !mac || !anchor_mac || path == j->end() ||
      !path->is_string() || *anchor_mac != split->second) {
    return std::nullopt;
  }
  Anchor a;
  a.point = AnchorPoint{std::move(*log_id), *seq, std::move(*mac), *end};
  a.log_path = path->get<std::string>();
  a.anchor_mac = std::move(*anchor_mac);
  a.body = split->first;
  return a;
}

bool anchor_authentic(std::string_view key, const Anchor& a) {
  return mac_equal(mac_hex(key, MacDomain::anchor, a.body), a.anchor_mac);
}

}  // namespace kavach::detail
