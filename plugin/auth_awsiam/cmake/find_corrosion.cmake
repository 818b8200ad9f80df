# Looks for the Corrosion CMake package, but only for versions this CMake can
# load (included by rust_core.cmake, and alone by the test in
# tools/cmake_checks/corrosion_choice). Sets Corrosion_FOUND, or
# AUTH_AWSIAM_NO_CORROSION to the reason there is none.
#
# Corrosion's CMake code needs a recent CMake (0.5: 3.15, 0.6: 3.22) and stops
# the configure step on an older one, while find_package(Corrosion 0.5) would
# load a 0.6 too. So ask for one minor version at a time, newest first, and
# only for those this CMake can run, with a version range that keeps the
# others out (Corrosion 0.5 accepts only ranges within 0.5). Ranges need
# CMake 3.19: an older CMake (MySQL 8.4 accepts 3.14.6) cannot ask for "0.5
# but not 0.6", and there the plain cargo build is used.
SET(AUTH_AWSIAM_CORROSION_KNOWN "0.6:3.22" "0.5:3.15")
SET(AUTH_AWSIAM_NO_CORROSION "")
IF(CMAKE_VERSION VERSION_LESS 3.19)
  SET(AUTH_AWSIAM_NO_CORROSION
      "CMake ${CMAKE_VERSION} cannot tell Corrosion 0.5 from 0.6")
ELSE()
  SET(tried "")
  FOREACH(known ${AUTH_AWSIAM_CORROSION_KNOWN})
    STRING(REPLACE ":" ";" known "${known}")
    LIST(GET known 0 minor)
    LIST(GET known 1 needs_cmake)
    IF(NOT Corrosion_FOUND AND CMAKE_VERSION VERSION_GREATER_EQUAL needs_cmake)
      STRING(REGEX REPLACE "^0\\." "" next "${minor}")
      MATH(EXPR next "${next} + 1")
      FIND_PACKAGE(Corrosion ${minor}...<0.${next} QUIET)
      LIST(APPEND tried ${minor})
    ENDIF()
  ENDFOREACH()
  IF(NOT Corrosion_FOUND)
    STRING(REPLACE ";" " or " tried "${tried}")
    SET(AUTH_AWSIAM_NO_CORROSION "no Corrosion ${tried} found")
  ENDIF()
  UNSET(tried)
  UNSET(minor)
  UNSET(needs_cmake)
  UNSET(next)
ENDIF()
