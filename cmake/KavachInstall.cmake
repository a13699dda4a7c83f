include(CMakePackageConfigHelpers)
install(TARGETS kavach kavach_static EXPORT kavachTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS kavach_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# kavach(1), the completions (generated from the CLI definition, tools/kavach) and the JSON
# Schemas of every --json output.
set(kavach_docs ${PROJECT_BINARY_DIR}/tools/kavach/generated)
install(FILES ${kavach_docs}/kavach.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${kavach_docs}/completions/kavach.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME kavach)
install(FILES ${kavach_docs}/completions/_kavach DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${kavach_docs}/completions/kavach.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(DIRECTORY docs/json/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kavach/json FILES_MATCHING PATTERN "*.schema.json")
install(DIRECTORY include/kavach DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kavachTargets NAMESPACE kavach:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
configure_package_config_file(cmake/kavachConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kavachConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kavachConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kavachConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/kavachConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
# kavach.pc finds its prefix relative to itself (${pcfiledir}) so an install
# with any --prefix resolves; absolute install dirs are kept as they are.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KAVACH_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KAVACH_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH kavach_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  set(KAVACH_PC_PREFIX "\${pcfiledir}/${kavach_pc_up}")
  set(KAVACH_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KAVACH_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(KAVACH_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/kavach.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kavach.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kavach.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
