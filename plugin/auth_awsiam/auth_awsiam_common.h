/* Copyright (c) 2026, the auth_awsiam authors.

   This program is free software; you can redistribute it and/or modify
   it under the terms of the GNU General Public License, version 2.0,
   as published by the Free Software Foundation.

   This program is distributed in the hope that it will be useful,
   but WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
   GNU General Public License, version 2.0, for more details. */

/* What the two server plugins of auth_awsiam.so share, the way Percona's
   auth_pam and auth_pam_compat share auth_pam_common.cc: the login record
   filled from what the server knows, the connection's transport and
   certificate, the account-string callbacks, the AUTH_AWSIAM_ADMIN privilege,
   and one check and update function per type of system variable. auth_awsiam.cc
   and auth_awsiam_challenge.cc keep their handlers, their variables'
   declarations, status variables and life cycles. No decision is taken here:
   the Rust core (auth_awsiam_core.h) takes them all. */
#ifndef AUTH_AWSIAM_COMMON_H
#define AUTH_AWSIAM_COMMON_H

#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>

#include "auth_awsiam_core.h"

/* ---- The error log ------------------------------------------------------- */

/* auth_awsiam's handle, for the lines the core asks for (awsiam_log_sink) and
   the warnings of the account-string check; NULL while it is not running. */
void awsiam_set_log_handle(MYSQL_PLUGIN plugin);
void awsiam_log_sink(int level, const char *message);

/* ---- One login ------------------------------------------------------------
 */

/* The login record of one attempt, without its packet: the matched account, the
   name the client sent, its host, the account's AS '...' string, and whether
   the transport is TLS or local. */
void awsiam_login_init(awsiam_login *login, const MYSQL_SERVER_AUTH_INFO *info,
                       const MYSQL_PLUGIN_VIO_INFO &vio_info);
/* Whether the client's connection is TLS. */
bool awsiam_connection_is_tls(const MYSQL_PLUGIN_VIO_INFO &vio_info);
/* This server's certificate on the client's TLS connection, as DER
   (OPENSSL_free it), or -1. */
int awsiam_server_certificate(unsigned char **der);
/* After AWSIAM_ALLOW: a mapping rule's account (mapped, '' if none) becomes the
   one MySQL proxies to (it then checks that the account exists and GRANT
   PROXY). */
void awsiam_adopt_mapped_account(MYSQL_SERVER_AUTH_INFO *info,
                                 const char *mapped);
/* The size of the buffer awsiam_adopt_mapped_account reads: authenticated_as's.
 */
constexpr size_t AWSIAM_MAPPED_BUF =
    sizeof(MYSQL_SERVER_AUTH_INFO::authenticated_as);
static_assert(AWSIAM_MAPPED_BUF > AWSIAM_MAX_ACCOUNT_NAME_LEN,
              "authenticated_as must hold any mapped account name");

/* ---- Accounts (both handlers) ---------------------------------------------
 */

int awsiam_generate_auth_string(char *outbuf, unsigned int *outbuflen,
                                const char *inbuf, unsigned int inbuflen);
int awsiam_validate_auth_string(char *const inbuf, unsigned int buflen);
int awsiam_set_salt(const char *password, unsigned int password_len,
                    unsigned char *salt, unsigned char *salt_len);

/* ---- The AUTH_AWSIAM_ADMIN privilege --------------------------------------
 */

bool awsiam_admin_privilege_register(MYSQL_PLUGIN plugin);
void awsiam_admin_privilege_unregister();

/* ---- System variables -----------------------------------------------------
 */

/* One check and one update function per type, for every setting of both
   plugins: the privilege first when the setting needs it (the core's table says
   which), then the value (the core validates strings; MySQL's own check_func_*
   numbers and booleans), then the core applies it. The update functions check
   the privilege again: SET ... = DEFAULT reaches them without the check
   function. */
int awsiam_check_str(int setting, MYSQL_THD thd, void *save,
                     struct st_mysql_value *value);
void awsiam_update_str(int setting, MYSQL_THD thd, void *var_ptr,
                       const void *save);
int awsiam_check_uint(int setting, MYSQL_THD thd, SYS_VAR *var, void *save,
                      struct st_mysql_value *value);
void awsiam_update_uint(int setting, MYSQL_THD thd, void *var_ptr,
                        const void *save);
int awsiam_check_bool(int setting, MYSQL_THD thd, SYS_VAR *var, void *save,
                      struct st_mysql_value *value);
void awsiam_update_bool(int setting, MYSQL_THD thd, void *var_ptr,
                        const void *save);

/* The same, with the setting as a template argument: what MYSQL_SYSVAR_* take.
 */
template <int Setting>
int awsiam_check_str_of(MYSQL_THD thd, SYS_VAR *, void *save,
                        struct st_mysql_value *value) {
  return awsiam_check_str(Setting, thd, save, value);
}
template <int Setting>
void awsiam_update_str_of(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                          const void *save) {
  awsiam_update_str(Setting, thd, var_ptr, save);
}
template <int Setting>
int awsiam_check_uint_of(MYSQL_THD thd, SYS_VAR *var, void *save,
                         struct st_mysql_value *value) {
  return awsiam_check_uint(Setting, thd, var, save, value);
}
template <int Setting>
void awsiam_update_uint_of(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                           const void *save) {
  awsiam_update_uint(Setting, thd, var_ptr, save);
}
template <int Setting>
int awsiam_check_bool_of(MYSQL_THD thd, SYS_VAR *var, void *save,
                         struct st_mysql_value *value) {
  return awsiam_check_bool(Setting, thd, var, save, value);
}
template <int Setting>
void awsiam_update_bool_of(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                           const void *save) {
  awsiam_update_bool(Setting, thd, var_ptr, save);
}

/* A variable's value from the command line or my.cnf, which no check function
   saw, for the core at plugin start. */
struct awsiam_start_value {
  int setting;
  const char *const *str;  /* a string variable, else NULL */
  const unsigned int *num; /* a number variable, else NULL */
  const bool *flag;        /* a boolean variable, else NULL */
};

/* Applies start values; false (and the reason logged with handle) if one is
 * invalid. */
bool awsiam_apply_start_values(MYSQL_PLUGIN plugin,
                               const awsiam_start_value *values, size_t count);

#endif /* AUTH_AWSIAM_COMMON_H */
