include(CMakePackageConfigHelpers)
install(TARGETS kavach kavach_static EXPORT kavachTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS kavach_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/kavach DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kavachTargets NAMESPACE kavach:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
configure_package_config_file(cmake/kavachConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kavachConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kavachConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kavachConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/kavachConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kavach)
configure_file(cmake/kavach.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kavach.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kavach.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
