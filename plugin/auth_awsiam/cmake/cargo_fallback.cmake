# Builds the Rust core with cargo alone, for trees where Corrosion cannot be
# used (rust_core.cmake says why). It defines the same targets Corrosion
# would: auth_awsiam_core (the static library), auth_awsiam_client_core (the client
# plugin's) and auth_awsiam_cli (builds the auth_awsiam_token program), with the same profile and --locked.

# The cargo first in PATH (where a packager puts the toolchain to use), else rustup's.
FIND_PROGRAM(CARGO_EXECUTABLE cargo PATHS ENV PATH NO_DEFAULT_PATH)
FIND_PROGRAM(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin")
IF(NOT CARGO_EXECUTABLE)
  MESSAGE(FATAL_ERROR "auth_awsiam needs cargo: install Rust (or Corrosion) "
                      "or configure with -DWITH_AUTH_AWSIAM=OFF")
ENDIF()

SET(AUTH_AWSIAM_CARGO_DIR "${CMAKE_CURRENT_BINARY_DIR}/cargo")
# cargo puts the dev profile's output under debug/, every other one under its name.
IF(AUTH_AWSIAM_CARGO_PROFILE STREQUAL "dev")
  SET(AUTH_AWSIAM_CARGO_OUT "${AUTH_AWSIAM_CARGO_DIR}/debug")
ELSE()
  SET(AUTH_AWSIAM_CARGO_OUT "${AUTH_AWSIAM_CARGO_DIR}/${AUTH_AWSIAM_CARGO_PROFILE}")
ENDIF()
SET(AUTH_AWSIAM_CORE_LIB "${AUTH_AWSIAM_CARGO_OUT}/libauth_awsiam_core.a")
SET(AUTH_AWSIAM_CLIENT_LIB "${AUTH_AWSIAM_CARGO_OUT}/libauth_awsiam_client_core.a")

SET(AUTH_AWSIAM_CARGO_PACKAGES)
FOREACH(crate ${AUTH_AWSIAM_CRATES})
  LIST(APPEND AUTH_AWSIAM_CARGO_PACKAGES -p ${crate})
ENDFOREACH()

# cargo knows best what changed: run it on every build, it is quick when idle.
ADD_CUSTOM_TARGET(auth_awsiam_cargo
  COMMAND "${CARGO_EXECUTABLE}" build --locked
          --profile "${AUTH_AWSIAM_CARGO_PROFILE}"
          --manifest-path "${AUTH_AWSIAM_MANIFEST}"
          --target-dir "${AUTH_AWSIAM_CARGO_DIR}"
          ${AUTH_AWSIAM_CARGO_PACKAGES}
  BYPRODUCTS "${AUTH_AWSIAM_CORE_LIB}" "${AUTH_AWSIAM_CLIENT_LIB}"
             "${AUTH_AWSIAM_CARGO_OUT}/auth_awsiam_token"
  USES_TERMINAL
  COMMENT "cargo build of the auth_awsiam Rust core (profile ${AUTH_AWSIAM_CARGO_PROFILE})")

ADD_LIBRARY(auth_awsiam_core INTERFACE)
TARGET_LINK_LIBRARIES(auth_awsiam_core INTERFACE
  "${AUTH_AWSIAM_CORE_LIB}" pthread dl m rt)
ADD_DEPENDENCIES(auth_awsiam_core auth_awsiam_cargo)

ADD_LIBRARY(auth_awsiam_client_core INTERFACE)
TARGET_LINK_LIBRARIES(auth_awsiam_client_core INTERFACE
  "${AUTH_AWSIAM_CLIENT_LIB}" pthread dl m rt)
ADD_DEPENDENCIES(auth_awsiam_client_core auth_awsiam_cargo)

ADD_CUSTOM_TARGET(auth_awsiam_cli ALL
  COMMAND "${CMAKE_COMMAND}" -E copy
          "${AUTH_AWSIAM_CARGO_OUT}/auth_awsiam_token"
          "${CMAKE_BINARY_DIR}/runtime_output_directory/auth_awsiam_token"
  DEPENDS auth_awsiam_cargo)
