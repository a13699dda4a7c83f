# Writes a header naming the SHA-256 of a generated file, so that a source which .incbin's that
# file is recompiled when (and only when) its bytes change — also under ccache, which hashes the
# preprocessed source and never sees an .incbin operand.
# Usage: cmake -DIN=<file> -DOUT=<header> -P KavachFileStamp.cmake
file(SHA256 "${IN}" digest)
set(content "// Generated: the SHA-256 of the embedded file (see cmake/KavachFileStamp.cmake).\n#define KAVACH_EMBEDDED_FILE_SHA256 \"${digest}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${content}")
