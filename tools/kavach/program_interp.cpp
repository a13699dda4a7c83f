#include "program_interp.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>

namespace kavach::cli {
namespace {

bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t n) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(in.gcount()) == n;
}

template <class T>
T host_order(T v, bool swap) {
  if (!swap) return v;
  T out{};
  auto* src = reinterpret_cast<unsigned char*>(&v);
  auto* dst = reinterpret_cast<unsigned char*>(&out);
  for (std::size_t i = 0; i < sizeof(T); ++i) dst[i] = src[sizeof(T) - 1 - i];
  return out;
}

// Ehdr/Phdr: Elf64_* or Elf32_*; the fields used have the same names in both.
template <class Ehdr, class Phdr>
std::string elf_interp(std::ifstream& in, bool swap) {
  Ehdr eh{};
  if (!read_at(in, 0, &eh, sizeof eh)) return {};
  const std::uint64_t phoff = host_order(eh.e_phoff, swap);
  const unsigned phnum = host_order(eh.e_phnum, swap);
  const unsigned phentsize = host_order(eh.e_phentsize, swap);
  if (phentsize < sizeof(Phdr) || phnum > 4096) return {};
  for (unsigned i = 0; i < phnum; ++i) {
    Phdr ph{};
    if (!read_at(in, phoff + std::uint64_t{i} * phentsize, &ph, sizeof ph)) return {};
    if (host_order(ph.p_type, swap) != PT_INTERP) continue;
    const std::uint64_t size = host_order(ph.p_filesz, swap);
    if (size == 0 || size > 4096) return {};
    std::string path(static_cast<std::size_t>(size), '\0');
    if (!read_at(in, host_order(ph.p_offset, swap), path.data(), path.size())) return {};
    path.resize(std::strlen(path.c_str()));  // NUL-terminated in the file
    return path;
  }
  return {};
}

}  // namespace

std::string program_interpreter(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  unsigned char ident[EI_NIDENT] = {};
  const bool whole_ident = read_at(in, 0, ident, sizeof ident);  // a short script has fewer bytes
  if (ident[0] == '#' && ident[1] == '!') {
    std::string line;
    in.clear();
    in.seekg(2);
    std::getline(in, line);
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) return {};
    const auto end = line.find_first_of(" \t\r", start);
    return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
  }
  if (!whole_ident || std::memcmp(ident, ELFMAG, SELFMAG) != 0) return {};
  const bool little_host = [] {
    const std::uint16_t one = 1;
    unsigned char b = 0;
    std::memcpy(&b, &one, 1);
    return b == 1;
  }();
  const bool swap = (ident[EI_DATA] == ELFDATA2LSB) != little_host;
  if (ident[EI_CLASS] == ELFCLASS64) return elf_interp<Elf64_Ehdr, Elf64_Phdr>(in, swap);
  if (ident[EI_CLASS] == ELFCLASS32) return elf_interp<Elf32_Ehdr, Elf32_Phdr>(in, swap);
  return {};
}

}  // namespace kavach::cli
