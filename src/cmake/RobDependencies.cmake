# Every dependency comes from Debian's packages (see README: "Dependencies and licenses").
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(libwebsockets CONFIG REQUIRED)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(SAMPLERATE REQUIRED IMPORTED_TARGET samplerate)

# mbedTLS 2.28 ships neither a CMake config nor a .pc file.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/md.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)

add_library(rob_deps INTERFACE)
target_include_directories(rob_deps INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(rob_deps INTERFACE
  simdjson::simdjson websockets_shared PkgConfig::OPUS PkgConfig::SAMPLERATE
  ${MBEDCRYPTO_LIBRARY} Threads::Threads)
install(TARGETS rob_deps EXPORT ringoverbotTargets)
