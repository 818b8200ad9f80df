# Puts the plugin and its MTR suite into a MySQL or Percona Server source tree,
# as symlinks (the default) or copies; or, with ARCHIVE, the plugin directory
# of the vendored source archive AUTH_AWSIAM_ARCHIVE (tools/vendor.sh) as a
# packager unpacks it, which then builds offline, and the suite copied.
# Included by the top-level CMakeLists.txt, or run alone:
#
#   cmake -DMYSQL_SOURCE_DIR=/path/to/tree [-DAUTH_AWSIAM_PLACEMENT=COPY] \
#         -P cmake/place_in_tree.cmake
get_filename_component(_awsiam_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT AUTH_AWSIAM_PLACEMENT)
  set(AUTH_AWSIAM_PLACEMENT SYMLINK)
endif()
if(NOT IS_DIRECTORY "${MYSQL_SOURCE_DIR}/plugin" OR
   NOT IS_DIRECTORY "${MYSQL_SOURCE_DIR}/mysql-test")
  message(FATAL_ERROR
    "Set MYSQL_SOURCE_DIR to a MySQL or Percona Server source tree "
    "(it needs plugin/ and mysql-test/), got '${MYSQL_SOURCE_DIR}'")
endif()

if(AUTH_AWSIAM_PLACEMENT STREQUAL "ARCHIVE")
  if(NOT EXISTS "${AUTH_AWSIAM_ARCHIVE}")
    message(FATAL_ERROR "AUTH_AWSIAM_PLACEMENT=ARCHIVE needs AUTH_AWSIAM_ARCHIVE, "
                        "the vendored source archive (tools/vendor.sh), got '${AUTH_AWSIAM_ARCHIVE}'")
  endif()
  set(_awsiam_unpacked "${CMAKE_BINARY_DIR}/auth_awsiam-archive")
  file(REMOVE_RECURSE "${_awsiam_unpacked}")
  file(MAKE_DIRECTORY "${_awsiam_unpacked}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E tar xzf "${AUTH_AWSIAM_ARCHIVE}"
                  WORKING_DIRECTORY "${_awsiam_unpacked}" RESULT_VARIABLE failed)
  file(GLOB _awsiam_top "${_awsiam_unpacked}/*/plugin/auth_awsiam")
  if(failed OR NOT IS_DIRECTORY "${_awsiam_top}")
    message(FATAL_ERROR "${AUTH_AWSIAM_ARCHIVE} holds no NAME/plugin/auth_awsiam")
  endif()
endif()

foreach(path plugin/auth_awsiam mysql-test/suite/auth_awsiam)
  set(dest "${MYSQL_SOURCE_DIR}/${path}")
  if(IS_SYMLINK "${dest}")
    file(REMOVE "${dest}")
  elseif(EXISTS "${dest}" AND AUTH_AWSIAM_PLACEMENT STREQUAL "SYMLINK")
    message(FATAL_ERROR "${dest} exists and is not a symlink: remove it or use "
                        "-DAUTH_AWSIAM_PLACEMENT=COPY")
  endif()
  if(AUTH_AWSIAM_PLACEMENT STREQUAL "SYMLINK")
    file(CREATE_LINK "${_awsiam_repo}/${path}" "${dest}" SYMBOLIC)
  elseif(AUTH_AWSIAM_PLACEMENT STREQUAL "COPY" OR AUTH_AWSIAM_PLACEMENT STREQUAL "ARCHIVE")
    file(REMOVE_RECURSE "${dest}")
    get_filename_component(parent "${dest}" DIRECTORY)
    set(from "${_awsiam_repo}/${path}")
    if(AUTH_AWSIAM_PLACEMENT STREQUAL "ARCHIVE" AND path STREQUAL "plugin/auth_awsiam")
      set(from "${_awsiam_top}")
    endif()
    file(COPY "${from}" DESTINATION "${parent}")
  else()
    message(FATAL_ERROR "AUTH_AWSIAM_PLACEMENT must be SYMLINK, COPY or ARCHIVE")
  endif()
  message(STATUS "auth_awsiam: ${path} placed in ${MYSQL_SOURCE_DIR} (${AUTH_AWSIAM_PLACEMENT})")
endforeach()
