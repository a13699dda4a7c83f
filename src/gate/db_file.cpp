#include "gate/db_file.hpp"

#include "gate/binary_io.hpp"

namespace kavach::gate::detail {
namespace {

constexpr std::string_view kMagic = "KVGATEDB";
// Bump when the layout or the meaning of any field changes: old cache entries are then ignored.
constexpr std::uint32_t kFormatVersion = 7;

void put_allowlist(BinaryWriter& w, const Allowlist& a) {
  w.str(a.description);
  w.u8(a.require_all ? 1 : 0);
  w.u8(static_cast<std::uint8_t>(a.target));
  w.strs(a.regexes);
  w.strs(a.paths);
  w.strs(a.stopwords);
  w.strs(a.commits);
}

Allowlist get_allowlist(BinaryReader& r) {
  Allowlist a;
  a.description = r.str();
  a.require_all = r.u8() != 0;
  const std::uint8_t t = r.u8();
  if (t > static_cast<std::uint8_t>(AllowTarget::line)) r.fail();
  a.target = static_cast<AllowTarget>(t);
  a.regexes = r.strs();
  a.paths = r.strs();
  a.stopwords = r.strs();
  a.commits = r.strs();
  return a;
}

void put_allowlists(BinaryWriter& w, const std::vector<Allowlist>& v) {
  w.u32(static_cast<std::uint32_t>(v.size()));
  for (const auto& a : v) put_allowlist(w, a);
}

std::vector<Allowlist> get_allowlists(BinaryReader& r) {
  std::vector<Allowlist> v;
  const std::uint32_t n = r.count(8);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) v.push_back(get_allowlist(r));
  return v;
}

void put_rule(BinaryWriter& w, const Rule& r) {
  w.str(r.id);
  w.str(r.description);
  w.u8(static_cast<std::uint8_t>(r.severity));
  w.str(r.regex);
  w.str(r.path);
  w.str(r.prefilter);
  w.u32(static_cast<std::uint32_t>(r.secret_group));
  w.f64(r.entropy);
  w.strs(r.keywords);
  w.strs(r.tags);
  put_allowlists(w, r.allowlists);
  w.u32(static_cast<std::uint32_t>(r.validators.size()));
  for (auto v : r.validators) w.u8(static_cast<std::uint8_t>(v));
  w.u8(r.randomness ? 1 : 0);
  w.u8(r.placeholder_check ? 1 : 0);
  w.u8(r.report ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(r.max_length));
  w.u32(static_cast<std::uint32_t>(r.digit_min));
  w.u32(static_cast<std::uint32_t>(r.digit_max));
  w.u8(r.digit_after_letters ? 1 : 0);
  w.u8(r.digit_exact ? 1 : 0);
}

Rule get_rule(BinaryReader& r) {
  Rule x;
  x.id = r.str();
  x.description = r.str();
  const std::uint8_t sev = r.u8();
  if (sev > static_cast<std::uint8_t>(Severity::critical)) r.fail();
  x.severity = static_cast<Severity>(sev);
  x.regex = r.str();
  x.path = r.str();
  x.prefilter = r.str();
  x.secret_group = static_cast<int>(r.u32());
  x.entropy = r.f64();
  x.keywords = r.strs();
  x.tags = r.strs();
  x.allowlists = get_allowlists(r);
  const std::uint32_t nv = r.count(1);
  for (std::uint32_t i = 0; i < nv && r.ok(); ++i) {
    const std::uint8_t v = r.u8();
    if (v >= static_cast<std::uint8_t>(Validator::count_)) r.fail();
    x.validators.push_back(static_cast<Validator>(v));
  }
  x.randomness = r.u8() != 0;
  x.placeholder_check = r.u8() != 0;
  x.report = r.u8() != 0;
  x.max_length = static_cast<int>(r.u32());
  x.digit_min = static_cast<int>(r.u32());
  x.digit_max = static_cast<int>(r.u32());
  x.digit_after_letters = r.u8() != 0;
  x.digit_exact = r.u8() != 0;
  if (x.digit_min < 0 || x.digit_max > 64 || x.digit_min > x.digit_max) r.fail();
  return x;
}

}  // namespace

std::string encode_db_file(const DbFile& db) {
  BinaryWriter w;
  w.str(kMagic);
  w.u32(kFormatVersion);
  w.str(hs_version());
  w.u32(static_cast<std::uint32_t>(db.deps.size()));
  for (const auto& d : db.deps) {
    w.str(d.path);
    w.str(d.sha256);
  }
  w.str(db.rules.origin);
  w.u32(static_cast<std::uint32_t>(db.rules.rules.size()));
  for (const auto& r : db.rules.rules) put_rule(w, r);
  put_allowlists(w, db.rules.allowlists);
  w.u32(static_cast<std::uint32_t>(db.patterns.size()));
  for (const auto& p : db.patterns) {
    w.u32(p.rule);
    w.u8(static_cast<std::uint8_t>(p.kind));
    w.u32(p.left);
    w.u32(p.right);
  }
  w.str(db.hs_database);
  return w.take();
}

Result<DbFile> decode_db_file(std::string_view bytes, std::string_view origin) {
  BinaryReader r(bytes);
  auto bad = [&](std::string why) {
    return fail(ErrorCode::gate_error, "gate database is unusable: " + why,
                {{"file", std::string(origin)}});
  };
  if (r.view() != kMagic || !r.ok()) return bad("not a kavach gate database");
  if (r.u32() != kFormatVersion) return bad("written by another kavach version");
  if (r.view() != hs_version()) return bad("built with another Hyperscan version");
  DbFile db;
  const std::uint32_t nd = r.count(16);
  for (std::uint32_t i = 0; i < nd && r.ok(); ++i) {
    DbDependency d;
    d.path = r.str();
    d.sha256 = r.str();
    db.deps.push_back(std::move(d));
  }
  db.rules.origin = r.str();
  const std::uint32_t nr = r.count(32);
  for (std::uint32_t i = 0; i < nr && r.ok(); ++i) db.rules.rules.push_back(get_rule(r));
  db.rules.allowlists = get_allowlists(r);
  const std::uint32_t np = r.count(13);
  for (std::uint32_t i = 0; i < np && r.ok(); ++i) {
    PatternRef p;
    p.rule = r.u32();
    const std::uint8_t k = r.u8();
    if (k > static_cast<std::uint8_t>(PatternKind::digit_run)) r.fail();
    p.kind = static_cast<PatternKind>(k);
    p.left = r.u32();
    p.right = r.u32();
    if ((p.rule >= db.rules.rules.size() && p.rule != UINT32_MAX) || p.left > kMaxWindow ||
        p.right > kMaxWindow) {
      r.fail();
    }
    db.patterns.push_back(p);
  }
  db.hs_database = r.str();
  if (!r.ok() || !r.at_end()) return bad("truncated or corrupt");
  if (db.patterns.empty()) return bad("no patterns");
  return db;
}

Result<std::string> serialize_hs(const hs_database_t* db) {
  char* bytes = nullptr;
  std::size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
    return fail(ErrorCode::gate_error, "hs_serialize_database failed");
  }
  HsBytes owner(bytes);
  return std::string(bytes, len);
}

Result<HsDatabase> deserialize_hs(std::string_view bytes, std::string_view origin) {
  hs_database_t* db = nullptr;
  const hs_error_t rc = hs_deserialize_database(bytes.data(), bytes.size(), &db);
  if (rc != HS_SUCCESS) {
    return fail(ErrorCode::gate_error,
                "hs_deserialize_database failed (error " + std::to_string(rc) + ")",
                {{"file", std::string(origin)}});
  }
  return HsDatabase(db);
}

}  // namespace kavach::gate::detail
