# Builds the Rust core with cargo alone, for trees whose CMake cannot find the
# Corrosion package. It defines the same targets Corrosion would:
# auth_awsiam_core (the static library), auth_awsiam_client_core (the client
# plugin's) and auth_awsiam_cli (builds the auth_awsiam_token program).

FIND_PROGRAM(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin")
IF(NOT CARGO_EXECUTABLE)
  MESSAGE(FATAL_ERROR "auth_awsiam needs cargo: install Rust (or Corrosion) "
                      "or configure with -DWITH_AUTH_AWSIAM=OFF")
ENDIF()

SET(AUTH_AWSIAM_CARGO_DIR "${CMAKE_CURRENT_BINARY_DIR}/cargo")
SET(AUTH_AWSIAM_CORE_LIB "${AUTH_AWSIAM_CARGO_DIR}/release/libauth_awsiam_core.a")
SET(AUTH_AWSIAM_CLIENT_LIB "${AUTH_AWSIAM_CARGO_DIR}/release/libauth_awsiam_client_core.a")

SET(AUTH_AWSIAM_CARGO_COMMANDS)
FOREACH(manifest ${AUTH_AWSIAM_MANIFESTS})
  LIST(APPEND AUTH_AWSIAM_CARGO_COMMANDS
       COMMAND "${CARGO_EXECUTABLE}" build --release
               --manifest-path "${manifest}"
               --target-dir "${AUTH_AWSIAM_CARGO_DIR}")
ENDFOREACH()

# cargo knows best what changed: run it on every build, it is quick when idle.
ADD_CUSTOM_TARGET(auth_awsiam_cargo
  ${AUTH_AWSIAM_CARGO_COMMANDS}
  BYPRODUCTS "${AUTH_AWSIAM_CORE_LIB}" "${AUTH_AWSIAM_CLIENT_LIB}"
             "${AUTH_AWSIAM_CARGO_DIR}/release/auth_awsiam_token"
  USES_TERMINAL
  COMMENT "cargo build of the auth_awsiam Rust core")

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
          "${AUTH_AWSIAM_CARGO_DIR}/release/auth_awsiam_token"
          "${CMAKE_BINARY_DIR}/runtime_output_directory/auth_awsiam_token"
  DEPENDS auth_awsiam_cargo)
