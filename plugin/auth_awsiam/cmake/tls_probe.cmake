# How the shim learns whether a connection is TLS. MYSQL_PLUGIN_VIO_INFO has
# is_tls_established in MySQL 9.x (and Percona Server from 8.4.10); older
# servers (MySQL 8.4) lack it, and the shim asks the connection's THD instead.
# AUTH_AWSIAM_TLS_FROM_THD forces the THD way, to test it on a newer tree.
#
# The probes are compiled with the tree's own flags, which in MySQL's
# maintainer mode (on by default for Debug builds) include -Wall -Wextra
# -Werror: a probe with a warning would read as "no such field" and silently
# pick the wrong way. So the programs are warning-free, and a first probe
# without the field must compile, or configuring stops.
OPTION(AUTH_AWSIAM_TLS_FROM_THD
       "Find TLS through the THD even if the vio info says it" OFF)

INCLUDE(CheckCXXSourceCompiles)
SET(CMAKE_REQUIRED_INCLUDES "${CMAKE_SOURCE_DIR}/include")
SET(CMAKE_REQUIRED_QUIET ON)
CHECK_CXX_SOURCE_COMPILES("
#include <mysql/plugin_auth_common.h>
int main() {
  MYSQL_PLUGIN_VIO_INFO info{};
  return static_cast<int>(info.protocol);
}" AUTH_AWSIAM_VIO_INFO_PROBE_WORKS)
IF(NOT AUTH_AWSIAM_VIO_INFO_PROBE_WORKS)
  MESSAGE(FATAL_ERROR "auth_awsiam: cannot compile a program that uses "
    "MYSQL_PLUGIN_VIO_INFO with this tree's flags, so cannot tell how to "
    "find TLS; see the configure log (CMakeFiles/CMakeConfigureLog.yaml or "
    "CMakeError.log)")
ENDIF()
CHECK_CXX_SOURCE_COMPILES("
#include <mysql/plugin_auth_common.h>
int main() {
  MYSQL_PLUGIN_VIO_INFO info{};
  info.is_tls_established = true;
  return info.is_tls_established ? 0 : 1;
}" AUTH_AWSIAM_VIO_INFO_HAS_TLS_FIELD)
UNSET(CMAKE_REQUIRED_INCLUDES)
UNSET(CMAKE_REQUIRED_QUIET)

IF(AUTH_AWSIAM_TLS_FROM_THD)
  MESSAGE(STATUS "auth_awsiam: TLS found through the THD "
                 "(forced by AUTH_AWSIAM_TLS_FROM_THD)")
ELSEIF(AUTH_AWSIAM_VIO_INFO_HAS_TLS_FIELD)
  MESSAGE(STATUS "auth_awsiam: TLS read from "
                 "MYSQL_PLUGIN_VIO_INFO.is_tls_established")
  TARGET_COMPILE_DEFINITIONS(auth_awsiam PRIVATE AUTH_AWSIAM_VIO_INFO_HAS_TLS)
ELSE()
  MESSAGE(STATUS "auth_awsiam: TLS found through the THD "
                 "(this server's MYSQL_PLUGIN_VIO_INFO has no is_tls_established)")
ENDIF()
