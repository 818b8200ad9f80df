# Builds the Rust core with cargo alone, for trees where Corrosion cannot be
# used (rust_core.cmake says why). It defines the same targets Corrosion
# would: auth_awsiam_core (the static library), auth_awsiam_client_core (the client
# plugin's) and auth_awsiam_cli (builds the programs: auth_awsiam_token, auth_awsiam_proxy),
# with the same profile, --locked (or --frozen and the vendored crates: rust_core.cmake) and
# flags.
#
# It also calls cargo the way Corrosion 0.5 and 0.6 do: `cargo rustc` for each crate,
# for the host's target triple, with this tree's C compiler given to cc-rs and as the
# linker. cargo then takes one build for the other (it rebuilds a crate whose linker or
# build-script environment changed): with AUTH_AWSIAM_CARGO_TARGET_DIR set to the
# target directory of a Corrosion build of the same sources, this build compiles no
# crate again.

# The cargo first in PATH (where a packager puts the toolchain to use), else rustup's.
FIND_PROGRAM(CARGO_EXECUTABLE cargo PATHS ENV PATH NO_DEFAULT_PATH)
FIND_PROGRAM(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin")
IF(NOT CARGO_EXECUTABLE)
  MESSAGE(FATAL_ERROR "auth_awsiam needs cargo: install Rust (or Corrosion) "
                      "or configure with -DWITH_AUTH_AWSIAM=OFF")
ENDIF()

SET(AUTH_AWSIAM_CARGO_TARGET_DIR "" CACHE PATH
    "cargo target directory of the plain-cargo build of the auth_awsiam Rust core (default: cargo/ in its build directory)")
IF(AUTH_AWSIAM_CARGO_TARGET_DIR)
  SET(AUTH_AWSIAM_CARGO_DIR "${AUTH_AWSIAM_CARGO_TARGET_DIR}")
ELSE()
  SET(AUTH_AWSIAM_CARGO_DIR "${CMAKE_CURRENT_BINARY_DIR}/cargo")
ENDIF()

# The host's target triple, as cargo names it (Corrosion always passes --target too).
EXECUTE_PROCESS(COMMAND "${CARGO_EXECUTABLE}" -vV
                OUTPUT_VARIABLE AUTH_AWSIAM_CARGO_INFO RESULT_VARIABLE failed)
STRING(REGEX MATCH "host: ([^\n]+)" found "${AUTH_AWSIAM_CARGO_INFO}")
IF(failed OR NOT found)
  MESSAGE(FATAL_ERROR "auth_awsiam: '${CARGO_EXECUTABLE} -vV' names no host triple")
ENDIF()
SET(AUTH_AWSIAM_RUST_TRIPLE "${CMAKE_MATCH_1}")
STRING(TOUPPER "${AUTH_AWSIAM_RUST_TRIPLE}" triple_upper)
STRING(REPLACE "-" "_" triple_upper "${triple_upper}")

# cargo puts the dev profile's output under debug/, every other one under its name.
IF(AUTH_AWSIAM_CARGO_PROFILE STREQUAL "dev")
  SET(AUTH_AWSIAM_CARGO_OUT "${AUTH_AWSIAM_CARGO_DIR}/${AUTH_AWSIAM_RUST_TRIPLE}/debug")
ELSE()
  SET(AUTH_AWSIAM_CARGO_OUT "${AUTH_AWSIAM_CARGO_DIR}/${AUTH_AWSIAM_RUST_TRIPLE}/${AUTH_AWSIAM_CARGO_PROFILE}")
ENDIF()
SET(AUTH_AWSIAM_CORE_LIB "${AUTH_AWSIAM_CARGO_OUT}/libauth_awsiam_core.a")
SET(AUTH_AWSIAM_CLIENT_LIB "${AUTH_AWSIAM_CARGO_OUT}/libauth_awsiam_client_core.a")

IF(AUTH_AWSIAM_VENDORED)
  SET(lock_flag --frozen)
ELSE()
  SET(lock_flag --locked)
ENDIF()

# cc-rs (the build scripts of ring and aws-lc-sys) takes the C compiler from CC_<triple>,
# the triple written as cargo writes it or with '_' for '-', and builds a crate again, with
# all that depends on it, when the set of such names differs from its last build. Corrosion
# 0.6 gives cargo's spelling, Corrosion 0.5 the other: sharing the target directory of a
# Corrosion build (AUTH_AWSIAM_CARGO_TARGET_DIR) compiles nothing again only with that
# Corrosion's spelling.
SET(AUTH_AWSIAM_CC_ENV_TRIPLE "cargo" CACHE STRING
    "how the plain-cargo build of auth_awsiam spells the triple in CC_/CXX_/AR_<triple>: cargo (x86_64-unknown-linux-gnu, as Corrosion 0.6) or underscore (x86_64_unknown_linux_gnu, as Corrosion 0.5)")
SET_PROPERTY(CACHE AUTH_AWSIAM_CC_ENV_TRIPLE PROPERTY STRINGS cargo underscore)
IF(AUTH_AWSIAM_CC_ENV_TRIPLE STREQUAL "underscore")
  STRING(REPLACE "-" "_" cc_triple "${AUTH_AWSIAM_RUST_TRIPLE}")
ELSEIF(AUTH_AWSIAM_CC_ENV_TRIPLE STREQUAL "cargo")
  SET(cc_triple "${AUTH_AWSIAM_RUST_TRIPLE}")
ELSE()
  MESSAGE(FATAL_ERROR "AUTH_AWSIAM_CC_ENV_TRIPLE is '${AUTH_AWSIAM_CC_ENV_TRIPLE}': "
                      "give cargo or underscore")
ENDIF()

# What Corrosion gives cargo: the same environment (its names and values) and the same
# options, so that both builds are the same to cargo.
SET(cargo_rustc
  "${CMAKE_COMMAND}" -E env
    "CARGO_TARGET_${triple_upper}_LINKER=${CMAKE_C_COMPILER}"
    "CC_${cc_triple}=${CMAKE_C_COMPILER}"
    "CXX_${cc_triple}=${CMAKE_CXX_COMPILER}"
    "AR_${cc_triple}=${CMAKE_AR}"
  "${CARGO_EXECUTABLE}" rustc --target=${AUTH_AWSIAM_RUST_TRIPLE}
    --manifest-path "${AUTH_AWSIAM_MANIFEST}" --target-dir "${AUTH_AWSIAM_CARGO_DIR}"
    --profile=${AUTH_AWSIAM_CARGO_PROFILE} ${lock_flag} ${AUTH_AWSIAM_CARGO_FLAGS})
SET(rustc_flags -- -Cdefault-linker-libraries=yes)

SET(cargo_commands)
FOREACH(crate ${AUTH_AWSIAM_STATICLIB_CRATES})
  LIST(APPEND cargo_commands COMMAND ${cargo_rustc} --lib --crate-type=staticlib
       --package ${crate} ${rustc_flags})
ENDFOREACH()
SET(programs)
SET(copies)
FOREACH(bin ${AUTH_AWSIAM_BIN_CRATES})
  LIST(APPEND cargo_commands COMMAND ${cargo_rustc} --bin=${bin} --package ${bin} ${rustc_flags})
  LIST(APPEND programs "${AUTH_AWSIAM_CARGO_OUT}/${bin}")
  LIST(APPEND copies COMMAND "${CMAKE_COMMAND}" -E copy "${AUTH_AWSIAM_CARGO_OUT}/${bin}"
       "${CMAKE_BINARY_DIR}/runtime_output_directory/${bin}")
ENDFOREACH()

# cargo knows best what changed: run it on every build, it is quick when idle.
ADD_CUSTOM_TARGET(auth_awsiam_cargo
  ${cargo_commands}
  BYPRODUCTS "${AUTH_AWSIAM_CORE_LIB}" "${AUTH_AWSIAM_CLIENT_LIB}"
             ${programs}
  USES_TERMINAL
  VERBATIM
  COMMENT "cargo build of the auth_awsiam Rust core (profile ${AUTH_AWSIAM_CARGO_PROFILE})")
UNSET(cargo_rustc)
UNSET(lock_flag)
UNSET(cargo_commands)
UNSET(rustc_flags)
UNSET(triple_upper)
UNSET(cc_triple)

ADD_LIBRARY(auth_awsiam_core INTERFACE)
TARGET_LINK_LIBRARIES(auth_awsiam_core INTERFACE
  "${AUTH_AWSIAM_CORE_LIB}" pthread dl m rt)
ADD_DEPENDENCIES(auth_awsiam_core auth_awsiam_cargo)

ADD_LIBRARY(auth_awsiam_client_core INTERFACE)
TARGET_LINK_LIBRARIES(auth_awsiam_client_core INTERFACE
  "${AUTH_AWSIAM_CLIENT_LIB}" pthread dl m rt)
ADD_DEPENDENCIES(auth_awsiam_client_core auth_awsiam_cargo)

ADD_CUSTOM_TARGET(auth_awsiam_cli ALL
  ${copies}
  DEPENDS auth_awsiam_cargo)
UNSET(programs)
UNSET(copies)
