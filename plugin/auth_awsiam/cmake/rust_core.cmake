# The Rust core, built by cargo: the static libraries auth_awsiam_core (and
# auth_awsiam_client_core, the client plugin's) and the programs auth_awsiam_token and auth_awsiam_proxy (target auth_awsiam_cli). Corrosion imports the crates where
# this CMake can load it; otherwise cargo_fallback.cmake runs cargo itself.
# Both give the same targets and follow the same two rules:
#
# * the cargo profile is AUTH_AWSIAM_CARGO_PROFILE (release by default),
#   whatever CMAKE_BUILD_TYPE: a Debug server build links the same optimized
#   core as a release build (the core's own debug checks run in cargo test);
# * cargo runs with --locked: the versions in Cargo.lock, never newer ones;
#   from the vendored source archive (tools/vendor.sh), with --frozen: those
#   versions, from its vendor/ directory, with no network at all.

SET(AUTH_AWSIAM_CARGO_PROFILE "release" CACHE STRING
    "Cargo profile of the auth_awsiam Rust core (release or dev), whatever CMAKE_BUILD_TYPE")
SET_PROPERTY(CACHE AUTH_AWSIAM_CARGO_PROFILE PROPERTY STRINGS release dev)
SET(AUTH_AWSIAM_STATICLIB_CRATES auth_awsiam_core auth_awsiam_client_core)
# The programs, each a crate of the same name: the token tool and the proxy.
SET(AUTH_AWSIAM_BIN_CRATES auth_awsiam_token auth_awsiam_proxy)
SET(AUTH_AWSIAM_CRATES ${AUTH_AWSIAM_STATICLIB_CRATES} ${AUTH_AWSIAM_BIN_CRATES})

# The cargo workspace. Symlinked into the tree from this repository, the
# crates are built in the repository's workspace with its Cargo.lock. Copied
# alone into a tree (as packagers vendor plugins), there is no workspace
# around them: one is made in the build directory (links to the crates and
# the Cargo.lock shipped in this directory, which tools/plugin_lock.sh keeps
# equal to the repository's).
GET_FILENAME_COMPONENT(AUTH_AWSIAM_REAL_DIR "${CMAKE_CURRENT_SOURCE_DIR}" REALPATH)
GET_FILENAME_COMPONENT(AUTH_AWSIAM_REPO "${AUTH_AWSIAM_REAL_DIR}/../.." ABSOLUTE)
SET(AUTH_AWSIAM_IN_REPO)
IF(EXISTS "${AUTH_AWSIAM_REPO}/Cargo.toml")
  FILE(STRINGS "${AUTH_AWSIAM_REPO}/Cargo.toml" AUTH_AWSIAM_IN_REPO
       REGEX "plugin/auth_awsiam/core")
ENDIF()
IF(AUTH_AWSIAM_IN_REPO)
  SET(AUTH_AWSIAM_MANIFEST "${AUTH_AWSIAM_REPO}/Cargo.toml")
ELSE()
  IF(NOT EXISTS "${AUTH_AWSIAM_REAL_DIR}/Cargo.lock")
    MESSAGE(FATAL_ERROR "auth_awsiam: ${AUTH_AWSIAM_REAL_DIR}/Cargo.lock is "
      "missing: copy the whole plugin/auth_awsiam directory")
  ENDIF()
  SET(ws "${CMAKE_CURRENT_BINARY_DIR}/cargo-workspace")
  FILE(MAKE_DIRECTORY "${ws}")
  CONFIGURE_FILE("${CMAKE_CURRENT_LIST_DIR}/standalone_workspace.toml"
                 "${ws}/Cargo.toml" COPYONLY)
  CONFIGURE_FILE("${AUTH_AWSIAM_REAL_DIR}/Cargo.lock" "${ws}/Cargo.lock" COPYONLY)
  # Its members, as the template names them (tools/vendor.sh and
  # tools/plugin_lock.sh read the same line).
  FILE(STRINGS "${CMAKE_CURRENT_LIST_DIR}/standalone_workspace.toml" members
       REGEX "^members *=")
  STRING(REGEX REPLACE "^members *= *\\[(.*)\\]" "\\1" members "${members}")
  STRING(REGEX REPLACE "[\" ]" "" members "${members}")
  STRING(REPLACE "," ";" members "${members}")
  FOREACH(crate ${members})
    EXECUTE_PROCESS(COMMAND "${CMAKE_COMMAND}" -E create_symlink
                            "${AUTH_AWSIAM_REAL_DIR}/${crate}" "${ws}/${crate}")
  ENDFOREACH()
  UNSET(members)
  SET(AUTH_AWSIAM_MANIFEST "${ws}/Cargo.toml")
  UNSET(ws)
ENDIF()

# Offline, for build farms with no network: the vendored source archive
# (tools/vendor.sh) carries every crate in vendor/. cargo is then told to take
# the crates from there instead of the registry (a --config file given on its
# command line, so that it holds whatever directory cargo runs in) and, with
# --frozen, never to go to the network.
SET(vendored_default OFF)
IF(EXISTS "${AUTH_AWSIAM_REAL_DIR}/vendor")
  SET(vendored_default ON)
ENDIF()
OPTION(AUTH_AWSIAM_VENDORED
  "Build the auth_awsiam Rust core offline from plugin/auth_awsiam/vendor (the vendored source archive; default ON when that directory exists)"
  ${vendored_default})
UNSET(vendored_default)
SET(AUTH_AWSIAM_CARGO_FLAGS)
IF(AUTH_AWSIAM_VENDORED)
  IF(NOT EXISTS "${AUTH_AWSIAM_REAL_DIR}/vendor")
    MESSAGE(FATAL_ERROR "auth_awsiam: AUTH_AWSIAM_VENDORED is ON but "
      "${AUTH_AWSIAM_REAL_DIR}/vendor is missing: unpack the vendored source "
      "archive (tools/vendor.sh makes it) into the tree, or set it OFF")
  ENDIF()
  IF(AUTH_AWSIAM_IN_REPO)
    # The repository's workspace locks the tools' crates too, which the
    # archive does not carry.
    MESSAGE(FATAL_ERROR "auth_awsiam: AUTH_AWSIAM_VENDORED builds the plugin "
      "directory of the vendored source archive, copied into the tree, not "
      "this repository's (${AUTH_AWSIAM_REPO}): unpack the archive into the tree")
  ENDIF()
  SET(config "${CMAKE_CURRENT_BINARY_DIR}/vendored-sources.toml")
  FILE(WRITE "${config}"
    "# Written by plugin/auth_awsiam/cmake/rust_core.cmake (AUTH_AWSIAM_VENDORED).\n"
    "[source.crates-io]\nreplace-with = \"auth-awsiam-vendored\"\n"
    "[source.auth-awsiam-vendored]\ndirectory = \"${AUTH_AWSIAM_REAL_DIR}/vendor\"\n"
    "[net]\noffline = true\n")
  SET(AUTH_AWSIAM_CARGO_FLAGS "--config=${config}")
  UNSET(config)
  MESSAGE(STATUS "auth_awsiam: crates from ${AUTH_AWSIAM_REAL_DIR}/vendor, offline (--frozen)")
ENDIF()

INCLUDE(${CMAKE_CURRENT_LIST_DIR}/find_corrosion.cmake)

IF(Corrosion_FOUND)
  MESSAGE(STATUS "auth_awsiam: Rust core built through Corrosion "
    "${Corrosion_VERSION}, cargo profile ${AUTH_AWSIAM_CARGO_PROFILE}")
  IF(AUTH_AWSIAM_VENDORED)
    SET(lock_options FROZEN FLAGS ${AUTH_AWSIAM_CARGO_FLAGS})
  ELSE()
    SET(lock_options LOCKED)
  ENDIF()
  CORROSION_IMPORT_CRATE(MANIFEST_PATH "${AUTH_AWSIAM_MANIFEST}"
                         CRATES ${AUTH_AWSIAM_CRATES}
                         CRATE_TYPES staticlib bin
                         PROFILE ${AUTH_AWSIAM_CARGO_PROFILE}
                         ${lock_options})
  UNSET(lock_options)
  # `make auth_awsiam_cli` puts the programs next to the tree's other programs
  # (runtime_output_directory).
  SET(builds)
  FOREACH(bin ${AUTH_AWSIAM_BIN_CRATES})
    SET_TARGET_PROPERTIES(${bin} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/runtime_output_directory")
    LIST(APPEND builds cargo-build_${bin})
  ENDFOREACH()
  ADD_CUSTOM_TARGET(auth_awsiam_cli ALL DEPENDS ${builds})
  UNSET(builds)
  SET(AUTH_AWSIAM_RUST_FOUND "${Rust_VERSION}")
  SET(AUTH_AWSIAM_RUST_WHERE "${Rust_COMPILER_CACHED}")
ELSE()
  MESSAGE(STATUS "auth_awsiam: Rust core built with plain cargo "
    "(${AUTH_AWSIAM_NO_CORROSION}), cargo profile ${AUTH_AWSIAM_CARGO_PROFILE}")
  INCLUDE(${CMAKE_CURRENT_LIST_DIR}/cargo_fallback.cmake)
  EXECUTE_PROCESS(COMMAND "${CARGO_EXECUTABLE}" --version
                  OUTPUT_VARIABLE found OUTPUT_STRIP_TRAILING_WHITESPACE)
  STRING(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" found "${found}")
  SET(AUTH_AWSIAM_RUST_FOUND "${found}")
  SET(AUTH_AWSIAM_RUST_WHERE "${CARGO_EXECUTABLE}")
  UNSET(found)
ENDIF()

# The crates declare the oldest Rust they build with (rust-version, what the
# AWS SDK crates need): say it now rather than halfway through the build.
FILE(STRINGS "${AUTH_AWSIAM_REAL_DIR}/core/Cargo.toml" AUTH_AWSIAM_RUST_MIN
     REGEX "^rust-version *=")
STRING(REGEX MATCH "[0-9]+\\.[0-9]+(\\.[0-9]+)?" AUTH_AWSIAM_RUST_MIN "${AUTH_AWSIAM_RUST_MIN}")
IF(AUTH_AWSIAM_RUST_FOUND VERSION_LESS AUTH_AWSIAM_RUST_MIN)
  MESSAGE(FATAL_ERROR "auth_awsiam needs Rust ${AUTH_AWSIAM_RUST_MIN} or later "
    "(the crates' rust-version), found ${AUTH_AWSIAM_RUST_FOUND} (${AUTH_AWSIAM_RUST_WHERE}). Put a newer "
    "toolchain first in PATH (for example Ubuntu 26.04's cargo-1.97 package: "
    "/usr/lib/rust-1.97/bin) and configure again in a new build directory.")
ENDIF()
