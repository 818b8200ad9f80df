/* Copyright (c) 2026, the auth_awsiam authors.

   This program is free software; you can redistribute it and/or modify
   it under the terms of the GNU General Public License, version 2.0,
   as published by the Free Software Foundation.

   This program is distributed in the hope that it will be useful,
   but WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
   GNU General Public License, version 2.0, for more details. */

/**
  @file

  The plumbing both server plugins of auth_awsiam.so share
  (auth_awsiam_common.h).
*/

#include "auth_awsiam_common.h"

#include <mysql/components/services/dynamic_privilege.h>
#include <mysql/components/services/registry.h>
#include <mysql/service_my_plugin_log.h>
#include <mysql/service_plugin_registry.h>
#include <mysql/service_security_context.h>
#include <mysql/service_thd_alloc.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <atomic>
#include <cstring>
#include <string>

#include "my_sqlcommand.h"
#include "my_sys.h"
#include "mysqld_error.h"
#include "sql/current_thd.h"
#include "sql/sql_class.h" /* the connection's vio: its type, its TLS session */
#include "violite.h"

/* MySQL's own checks of bool and int variable values (declared in
   sql/sql_plugin_var.h, which a plugin cannot include: it redefines the
   MYSQL_SYSVAR macros for the server's own variables), exported by mysqld 8.4
   and 9.x alike. */
int check_func_bool(MYSQL_THD thd, SYS_VAR *var, void *save,
                    st_mysql_value *value);
int check_func_int(MYSQL_THD thd, SYS_VAR *var, void *save,
                   st_mysql_value *value);

/* Room for a reason from the core (its messages are far shorter). */
static constexpr size_t REASON_LEN = 512;

/* ---- The error log ------------------------------------------------------- */

static std::atomic<MYSQL_PLUGIN> log_handle{nullptr};

void awsiam_set_log_handle(MYSQL_PLUGIN plugin) { log_handle.store(plugin); }

void awsiam_log_sink(int level, const char *message) {
  MYSQL_PLUGIN handle = log_handle.load();
  const plugin_log_level server_level =
      level == AWSIAM_LOG_ERROR     ? MY_ERROR_LEVEL
      : level == AWSIAM_LOG_WARNING ? MY_WARNING_LEVEL
                                    : MY_INFORMATION_LEVEL;
  if (handle != nullptr)
    my_plugin_log_message(&handle, server_level, "%s", message);
}

/* ---- One login ------------------------------------------------------------
 */

bool awsiam_connection_is_tls(const MYSQL_PLUGIN_VIO_INFO &vio_info) {
#ifdef AUTH_AWSIAM_VIO_INFO_HAS_TLS
  return vio_info.is_tls_established;
#else
  /* Servers before 9.x do not report TLS in MYSQL_PLUGIN_VIO_INFO: the
     connection's own vio type tells. */
  (void)vio_info;
  THD *thd = current_thd;
  return thd != nullptr && thd->get_vio_type() == VIO_TYPE_SSL;
#endif
}

/* TLS or a local connection (socket, pipe, shared memory). */
static bool connection_is_secure(const MYSQL_PLUGIN_VIO_INFO &vio_info) {
  const bool local =
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_SOCKET ||
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_PIPE ||
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_MEMORY;
  return local || awsiam_connection_is_tls(vio_info);
}

/* The plugin API does not reach the TLS session: the connection's vio does (the
   THD advertises its SSL only after authentication). */
int awsiam_server_certificate(unsigned char **der) {
  THD *thd = current_thd;
  Vio *net_vio = thd != nullptr ? thd->get_net()->vio : nullptr;
  if (net_vio == nullptr || net_vio->type != VIO_TYPE_SSL) return -1;
  X509 *cert = SSL_get_certificate(static_cast<SSL *>(net_vio->ssl_arg));
  return cert != nullptr ? i2d_X509(cert, der) : -1;
}

void awsiam_login_init(awsiam_login *login, const MYSQL_SERVER_AUTH_INFO *info,
                       const MYSQL_PLUGIN_VIO_INFO &vio_info) {
  /* The matched account's name, not the one typed: for an anonymous account
     (''@'%') the default rule must compare the role with '', not with
     whatever name the client chose. */
  login->user = info->authenticated_as;
  login->user_len = strlen(info->authenticated_as);
  /* The name the client sent, for the log line: through an anonymous account
     it is the only trace of who tried. */
  login->client_user = info->user_name;
  login->client_user_len =
      info->user_name != nullptr ? info->user_name_length : 0;
  login->host = info->host_or_ip != nullptr ? info->host_or_ip : "";
  login->host_len = info->host_or_ip != nullptr ? info->host_or_ip_length : 0;
  login->auth_string = info->auth_string != nullptr ? info->auth_string : "";
  login->auth_string_len =
      info->auth_string != nullptr ? info->auth_string_length : 0;
  login->token = nullptr;
  login->token_len = 0;
  login->secure_transport = connection_is_secure(vio_info) ? 1 : 0;
}

void awsiam_adopt_mapped_account(MYSQL_SERVER_AUTH_INFO *info,
                                 const char *mapped) {
  if (mapped[0] != '\0')
    memcpy(info->authenticated_as, mapped, AWSIAM_MAPPED_BUF);
}

/* ---- Accounts -------------------------------------------------------------
 */

/* A refusal becomes the statement's error only inside CREATE USER, ALTER USER
   or SET PASSWORD; the same callbacks run while the server loads its grant
   tables, where an error would fail the whole load. */
static bool in_user_statement() {
  THD *thd = current_thd;
  if (thd == nullptr) return false;
  const int command = thd_sql_command(thd);
  return command == SQLCOM_CREATE_USER || command == SQLCOM_ALTER_USER ||
         command == SQLCOM_SET_PASSWORD;
}

/* IDENTIFIED BY / SET PASSWORD, and CREATE USER ... IDENTIFIED WITH the plugin
   without AS (an empty password): there is no password to store. */
int awsiam_generate_auth_string(char *outbuf [[maybe_unused]],
                                unsigned int *outbuflen,
                                const char *inbuf [[maybe_unused]],
                                unsigned int inbuflen) {
  *outbuflen = 0;
  THD *thd = current_thd;
  const int creating =
      thd != nullptr && thd_sql_command(thd) == SQLCOM_CREATE_USER ? 1 : 0;
  char reason[REASON_LEN];
  if (awsiam_password_check(creating, inbuflen, reason, sizeof(reason)) == 0)
    return 0;
  my_printf_error(ER_PASSWORD_FORMAT, "%s", MYF(0), reason);
  return 1;
}

/* IDENTIFIED WITH ... AS '...': the string binds the account to ARNs. */
int awsiam_validate_auth_string(char *const inbuf, unsigned int buflen) {
  char reason[REASON_LEN];
  if (awsiam_auth_string_check(inbuf, buflen, reason, sizeof(reason)) == 0)
    return 0;
  MYSQL_PLUGIN handle = log_handle.load();
  if (in_user_statement())
    my_printf_error(ER_PASSWORD_FORMAT,
                    "Invalid auth_awsiam authentication string: %s", MYF(0),
                    reason);
  else if (handle != nullptr)
    /* Loading the grant tables: MySQL ignores the account and names it in
       its next line. Say what to do, since ALTER USER cannot reach it. */
    my_plugin_log_message(
        &handle, MY_WARNING_LEVEL,
        "the stored auth string of an account is not valid: %s. The server "
        "ignores the account (named in the next line) and ALTER USER cannot "
        "reach it: write a valid string into mysql.user and FLUSH PRIVILEGES, "
        "or DROP USER and create it again",
        reason);
  return 1;
}

int awsiam_set_salt(const char *password [[maybe_unused]],
                    unsigned int password_len [[maybe_unused]],
                    unsigned char *salt [[maybe_unused]],
                    unsigned char *salt_len) {
  *salt_len = 0;
  return 0;
}

/* ---- The AUTH_AWSIAM_ADMIN privilege --------------------------------------
 */

/* Needed, besides MySQL's own SYSTEM_VARIABLES_ADMIN, to change a setting that
   decides who may log in: with SYSTEM_VARIABLES_ADMIN alone, a user could point
   the plugin at an STS of their own (whose answers are trusted whole), widen
   the allowed accounts or drop the audience, and then log in as any account of
   the plugin. Registered at plugin start and unregistered at stop, as MySQL's
   own plugins do theirs (rewriter, thread_pool, version_tokens); grants stay in
   mysql.global_grants meanwhile. */
static const char admin_privilege[] = "AUTH_AWSIAM_ADMIN";

static SERVICE_TYPE(registry) *registry = nullptr;
static SERVICE_TYPE(dynamic_privilege_register) *privilege_register = nullptr;
/* Read by the check functions of both plugins while auth_awsiam may be
 * stopping. */
static std::atomic<SERVICE_TYPE(global_grants_check) *> grants_check{nullptr};

template <typename Service>
static Service *acquire_service(const char *name) {
  my_h_service handle = nullptr;
  if (registry == nullptr || registry->acquire(name, &handle)) return nullptr;
  return reinterpret_cast<Service *>(handle);
}

template <typename Service>
static void release_service(Service *service) {
  if (service != nullptr && registry != nullptr)
    registry->release(reinterpret_cast<my_h_service>(
        const_cast<void *>(static_cast<const void *>(service))));
}

void awsiam_admin_privilege_unregister() {
  if (privilege_register != nullptr)
    privilege_register->unregister_privilege(admin_privilege,
                                             sizeof(admin_privilege) - 1);
  release_service(grants_check.exchange(nullptr));
  release_service(privilege_register);
  privilege_register = nullptr;
  if (registry != nullptr) mysql_plugin_registry_release(registry);
  registry = nullptr;
}

/* False, and the reason logged, if the privilege cannot be registered. */
bool awsiam_admin_privilege_register(MYSQL_PLUGIN plugin) {
  registry = mysql_plugin_registry_acquire();
  privilege_register =
      acquire_service<SERVICE_TYPE(dynamic_privilege_register)>(
          "dynamic_privilege_register");
  grants_check.store(acquire_service<SERVICE_TYPE(global_grants_check)>(
      "global_grants_check"));
  if (privilege_register != nullptr && grants_check.load() != nullptr &&
      !privilege_register->register_privilege(admin_privilege,
                                              sizeof(admin_privilege) - 1))
    return true;
  my_plugin_log_message(&plugin, MY_ERROR_LEVEL,
                        "cannot register the dynamic privilege %s with the "
                        "server; the plugin is not started",
                        admin_privilege);
  awsiam_admin_privilege_unregister();
  return false;
}

static const char *setting_name(int setting) {
  const char *name = awsiam_setting_name(setting);
  return name != nullptr ? name : "auth_awsiam";
}

/* True, with the statement's error set, if thd may not change the setting. Only
   a user's SET statement is checked. Values MySQL applies itself are not:
   option files and the command line (no check function runs), and SET PERSIST
   values applied at start-up or at INSTALL PLUGIN (MySQL runs them without a
   statement, as a bootstrap user that holds only a fixed list of privileges;
   refusing them would stop the server). */
static bool refuse_without_admin(MYSQL_THD thd, int setting) {
  if (awsiam_setting_needs_admin(setting) == 0) return false;
  if (thd == nullptr || thd_sql_command(thd) != SQLCOM_SET_OPTION) return false;
  SERVICE_TYPE(global_grants_check) *check = grants_check.load();
  if (check == nullptr) {
    my_printf_error(ER_SPECIFIC_ACCESS_DENIED_ERROR,
                    "%s cannot be set while the auth_awsiam plugin, which "
                    "checks the %s privilege, is not running",
                    MYF(0), setting_name(setting), admin_privilege);
    return true;
  }
  MYSQL_SECURITY_CONTEXT context = nullptr;
  if (!thd_get_security_context(thd, &context) && context != nullptr &&
      check->has_global_grant(
          reinterpret_cast<Security_context_handle>(context), admin_privilege,
          sizeof(admin_privilege) - 1))
    return false;
  my_printf_error(ER_SPECIFIC_ACCESS_DENIED_ERROR,
                  "Access denied; you need (at least one of) the %s "
                  "privilege(s) for this operation (%s decides who may log in)",
                  MYF(0), admin_privilege, setting_name(setting));
  return true;
}

/* ---- System variables -----------------------------------------------------
 */

/* The values of the string variables, kept here rather than by the server (the
   variables have no PLUGIN_VAR_MEMALLOC): with MEMALLOC the server frees the
   old value after the update function whatever that did, so the update could
   not refuse SET ... = DEFAULT, which MySQL hands to the update function
   without calling the check function. Written by the update function and read
   by the server, both under LOCK_global_system_variables. */
static constexpr int MAX_SETTINGS = 64;
static std::string kept_values[MAX_SETTINGS];

int awsiam_check_str(int setting, MYSQL_THD thd, void *save,
                     struct st_mysql_value *value) {
  if (refuse_without_admin(thd, setting)) return 1;
  char buf[1024];
  int len = sizeof(buf);
  const char *str = value->val_str(value, buf, &len);
  if (str == nullptr) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR,
                    "Variable '%s' can't be set to NULL: use '' instead",
                    MYF(0), setting_name(setting));
    return 1;
  }
  /* A value that fills buf exactly comes back in buf with no NUL after it:
     check and keep a NUL-terminated copy of exactly len bytes, on the
     statement's arena (the value must outlive this call). */
  const char *copy = thd_strmake(thd, str, len);
  char reason[REASON_LEN];
  if (awsiam_setting_check(setting, copy, reason, sizeof(reason)) != 0) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR, "Variable '%s' can't be set: %s",
                    MYF(0), setting_name(setting), reason);
    return 1;
  }
  *static_cast<const char **>(save) = copy;
  return 0;
}

void awsiam_update_str(int setting, MYSQL_THD thd, void *var_ptr,
                       const void *save) {
  /* A refusal leaves the value as it was (the server sees the error and
     fails the statement). */
  if (refuse_without_admin(thd, setting)) return;
  if (setting < 0 || setting >= MAX_SETTINGS) return;
  const char *value = *static_cast<const char *const *>(save);
  std::string &kept = kept_values[setting];
  kept = value != nullptr ? value : "";
  *static_cast<char **>(var_ptr) = const_cast<char *>(kept.c_str());
  char reason[REASON_LEN];
  /* Already validated by the check function (a default is valid). */
  awsiam_setting_set_str(setting, kept.c_str(), reason, sizeof(reason));
}

int awsiam_check_uint(int setting, MYSQL_THD thd, SYS_VAR *var, void *save,
                      struct st_mysql_value *value) {
  if (refuse_without_admin(thd, setting)) return 1;
  return check_func_int(thd, var, save, value);
}

void awsiam_update_uint(int setting, MYSQL_THD thd, void *var_ptr,
                        const void *save) {
  if (refuse_without_admin(thd, setting)) return;
  const unsigned int value = *static_cast<const unsigned int *>(save);
  *static_cast<unsigned int *>(var_ptr) = value;
  awsiam_setting_set_num(setting, value);
}

int awsiam_check_bool(int setting, MYSQL_THD thd, SYS_VAR *var, void *save,
                      struct st_mysql_value *value) {
  if (refuse_without_admin(thd, setting)) return 1;
  return check_func_bool(thd, var, save, value);
}

void awsiam_update_bool(int setting, MYSQL_THD thd, void *var_ptr,
                        const void *save) {
  if (refuse_without_admin(thd, setting)) return;
  const bool value = *static_cast<const bool *>(save);
  *static_cast<bool *>(var_ptr) = value;
  awsiam_setting_set_num(setting, value ? 1 : 0);
}

bool awsiam_apply_start_values(MYSQL_PLUGIN plugin,
                               const awsiam_start_value *values, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const awsiam_start_value &v = values[i];
    if (v.str != nullptr) {
      char reason[REASON_LEN];
      if (awsiam_setting_set_str(v.setting, *v.str != nullptr ? *v.str : "",
                                 reason, sizeof(reason)) != 0) {
        my_plugin_log_message(&plugin, MY_ERROR_LEVEL,
                              "%s: %s; the plugin is not started",
                              setting_name(v.setting), reason);
        return false;
      }
    } else if (v.num != nullptr) {
      awsiam_setting_set_num(v.setting, *v.num);
    } else if (v.flag != nullptr) {
      awsiam_setting_set_num(v.setting, *v.flag ? 1 : 0);
    }
  }
  return true;
}
