# Every dependency comes from Debian (scripts/install-deps installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(tl-expected REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
# Header-only: Boost.Beast parses the egress proxy's HTTP requests.
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# toml++ and fmt are used header-only: two fewer shared objects to map, relocate and resolve at
# every start of the CLI (issue 17). TOMLPP is still looked up for its include directory.
add_library(kavach_header_only_deps INTERFACE)
target_include_directories(kavach_header_only_deps SYSTEM INTERFACE ${TOMLPP_INCLUDE_DIRS})
target_compile_definitions(kavach_header_only_deps INTERFACE TOML_HEADER_ONLY=1 FMT_HEADER_ONLY=1)

# The compiled third-party libraries, for the shared library (always shared objects) and for
# programs (static archives when Debian ships them all: a `kavach` that maps no third-party
# shared object starts ~1 ms sooner, measured in bench/cli-startup). KAVACH_STATIC_DEPS=OFF
# links programs against the shared objects too.
set(KAVACH_SHARED_DEPS PkgConfig::SECCOMP PkgConfig::LIBCAP PkgConfig::HYPERSCAN PkgConfig::RE2
    OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB)
option(KAVACH_STATIC_DEPS "Link programs against the static archives of libhs, re2, OpenSSL, libseccomp, libcap and zlib" ON)
set(KAVACH_PROGRAM_DEPS ${KAVACH_SHARED_DEPS})
if(KAVACH_STATIC_DEPS)
  set(kavach_static_archives)
  foreach(lib hs re2 ssl crypto seccomp cap z)
    find_library(KAVACH_STATIC_${lib} NAMES lib${lib}.a)
    if(NOT KAVACH_STATIC_${lib})
      message(STATUS "kavach: lib${lib}.a not found; programs link the shared objects")
      set(kavach_static_archives)
      break()
    endif()
    list(APPEND kavach_static_archives ${KAVACH_STATIC_${lib}})
  endforeach()
  if(kavach_static_archives)
    # libhs and re2 are C++: the archives need libstdc++ and libm, which stay shared unless a
    # program asks for -static-libstdc++ (the CLI does).
    set(KAVACH_PROGRAM_DEPS ${kavach_static_archives} Threads::Threads m)
  endif()
endif()
