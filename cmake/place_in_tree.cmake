# Puts the plugin and its MTR suite into a MySQL or Percona Server source tree,
# as symlinks (the default) or copies. Included by the top-level CMakeLists.txt,
# or run alone:
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
  elseif(AUTH_AWSIAM_PLACEMENT STREQUAL "COPY")
    file(REMOVE_RECURSE "${dest}")
    get_filename_component(parent "${dest}" DIRECTORY)
    file(COPY "${_awsiam_repo}/${path}" DESTINATION "${parent}")
  else()
    message(FATAL_ERROR "AUTH_AWSIAM_PLACEMENT must be SYMLINK or COPY")
  endif()
  message(STATUS "auth_awsiam: ${path} placed in ${MYSQL_SOURCE_DIR} (${AUTH_AWSIAM_PLACEMENT})")
endforeach()
