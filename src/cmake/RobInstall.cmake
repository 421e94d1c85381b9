include(CMakePackageConfigHelpers)

install(TARGETS ${ROB_INSTALL_TARGETS} EXPORT ringoverbotTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ringoverbot DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES capi/ringoverbot.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ringoverbotTargets NAMESPACE ringoverbot::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringoverbot)
configure_package_config_file(src/cmake/ringoverbotConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ringoverbotConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringoverbot)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringoverbotConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringoverbotConfig.cmake
              ${PROJECT_BINARY_DIR}/ringoverbotConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringoverbot)
# The .pc file finds its prefix relative to itself, so an installed tree can move.
file(RELATIVE_PATH ROB_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(src/cmake/ringoverbot.pc.in ${PROJECT_BINARY_DIR}/ringoverbot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ringoverbot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
