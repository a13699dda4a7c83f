add_library(kavach_warnings INTERFACE)
target_compile_options(kavach_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(KAVACH_WERROR)
  target_compile_options(kavach_warnings INTERFACE -Werror)
endif()
if(KAVACH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# The programs kavach runs inside sandboxes (kavach-guard, kavach-egress-bridge, kavach-probe):
# static, because a sandbox's root holds nothing but what the policy mounts (or an image), and
# installed in libexec/kavach. The sanitizer runtimes cannot be linked statically, so these are
# built without them.
function(kavach_sandbox_program target output_name)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${output_name})
  target_link_libraries(${target} PRIVATE kavach_warnings)
  target_link_options(${target} PRIVATE -static)
  if(KAVACH_SANITIZE)
    target_compile_options(${target} PRIVATE -fno-sanitize=all)
    target_link_options(${target} PRIVATE -fno-sanitize=all)
  endif()
  install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/kavach)
endfunction()
