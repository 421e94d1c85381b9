# Every dependency comes from Debian's packages (see README: "Dependencies and licenses").
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(libwebsockets CONFIG REQUIRED)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
# libopusenc (BSD): Ogg Opus files for the call recordings, over the libopus above.
pkg_check_modules(OPUSENC REQUIRED IMPORTED_TARGET libopusenc)
pkg_check_modules(SAMPLERATE REQUIRED IMPORTED_TARGET samplerate)
# speexdsp's resampler (BSD): ResampleQuality::voip, made for 20 ms telephony frames.
pkg_check_modules(SPEEXDSP REQUIRED IMPORTED_TARGET speexdsp)
# hiredis (BSD): the call directory's Redis client, driven by the server's own loop.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# The local speech engines (BSD-style licences): pocketsphinx STT and flite TTS.
pkg_check_modules(POCKETSPHINX REQUIRED IMPORTED_TARGET pocketsphinx)
find_path(FLITE_INCLUDE_DIR flite/flite.h REQUIRED)
set(ROB_FLITE_LIBRARIES)
foreach(lib flite_cmu_us_slt flite_cmu_us_kal flite_usenglish flite_cmulex flite)
  find_library(ROB_LIB_${lib} ${lib} REQUIRED)
  list(APPEND ROB_FLITE_LIBRARIES ${ROB_LIB_${lib}})
endforeach()
# Where the pocketsphinx model lives (pocketsphinx-en-us); overridable at run time.
set(ROB_POCKETSPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us" CACHE PATH
    "pocketsphinx-en-us model folder (holds en-us/ and cmudict-en-us.dict)")

# mbedTLS 2.28 ships neither a CMake config nor a .pc file.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/md.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)

add_library(rob_deps INTERFACE)
target_include_directories(rob_deps INTERFACE ${MBEDTLS_INCLUDE_DIR} ${FLITE_INCLUDE_DIR})
target_link_libraries(rob_deps INTERFACE
  simdjson::simdjson websockets_shared PkgConfig::OPUS PkgConfig::OPUSENC PkgConfig::SAMPLERATE PkgConfig::SPEEXDSP PkgConfig::HIREDIS
  PkgConfig::POCKETSPHINX ${ROB_FLITE_LIBRARIES} ${MBEDCRYPTO_LIBRARY} Threads::Threads m)
install(TARGETS rob_deps EXPORT ringoverbotTargets)
