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

  auth_awsiam: log in with a token minted from AWS IAM credentials.

  The token is a client-signed sts:GetCallerIdentity request. This file is only
  the glue to the server: plugin descriptor, system and status variables, the
  vio read and the error log. Every decision is taken by the Rust core
  (auth_awsiam_core.h).
*/

#include <mysql/components/services/dynamic_privilege.h>
#include <mysql/components/services/registry.h>
#include <mysql/plugin_auth.h>
#include <mysql/service_my_plugin_log.h>
#include <mysql/service_plugin_registry.h>
#include <mysql/service_security_context.h>
#include <mysql/service_thd_alloc.h>
#include <atomic>
#include <cstring>
#include <string>

#include "my_sqlcommand.h"
#include "my_sys.h"
#include "mysqld_error.h"
#include "sql/current_thd.h"
#ifndef AUTH_AWSIAM_VIO_INFO_HAS_TLS
#include "sql/sql_class.h"
#include "violite.h"
#endif

#include "auth_awsiam_challenge.h"
#include "auth_awsiam_core.h"

static MYSQL_PLUGIN plugin_handle = nullptr;

static void log_sink(int level, const char *message) {
  const plugin_log_level server_level =
      level == AWSIAM_LOG_ERROR     ? MY_ERROR_LEVEL
      : level == AWSIAM_LOG_WARNING ? MY_WARNING_LEVEL
                                    : MY_INFORMATION_LEVEL;
  if (plugin_handle != nullptr)
    my_plugin_log_message(&plugin_handle, server_level, "%s", message);
}

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

/* ---- The AUTH_AWSIAM_ADMIN privilege ------------------------------------- */

/* Needed, besides MySQL's own SYSTEM_VARIABLES_ADMIN, to change a setting that decides
   who may log in: with SYSTEM_VARIABLES_ADMIN alone, a user could point the plugin at an
   STS of their own (whose answers are trusted whole), widen the allowed accounts or drop
   the audience, and then log in as any auth_awsiam account. Registered at plugin start and
   unregistered at stop, as MySQL's own plugins do theirs (rewriter, thread_pool,
   version_tokens); grants stay in mysql.global_grants meanwhile. */
static const char admin_privilege[] = "AUTH_AWSIAM_ADMIN";

static SERVICE_TYPE(registry) *registry = nullptr;
static SERVICE_TYPE(dynamic_privilege_register) *privilege_register = nullptr;
/* Read by the check functions of both plugins while this one may be stopping. */
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
    registry->release(reinterpret_cast<my_h_service>(const_cast<void *>(
        static_cast<const void *>(service))));
}

static void admin_privilege_unregister() {
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
static bool admin_privilege_register() {
  registry = mysql_plugin_registry_acquire();
  privilege_register = acquire_service<SERVICE_TYPE(dynamic_privilege_register)>(
      "dynamic_privilege_register");
  grants_check.store(
      acquire_service<SERVICE_TYPE(global_grants_check)>("global_grants_check"));
  if (privilege_register != nullptr && grants_check.load() != nullptr &&
      !privilege_register->register_privilege(admin_privilege,
                                              sizeof(admin_privilege) - 1))
    return true;
  my_plugin_log_message(&plugin_handle, MY_ERROR_LEVEL,
                        "cannot register the dynamic privilege %s with the "
                        "server; the plugin is not started",
                        admin_privilege);
  admin_privilege_unregister();
  return false;
}

/* Only a user's SET statement is checked. Values MySQL applies itself are not: option
   files and the command line (no check function runs), and SET PERSIST values applied at
   start-up or at INSTALL PLUGIN (MySQL runs them without a statement, as a bootstrap user
   that holds only a fixed list of privileges; refusing them would stop the server). */
bool awsiam_require_admin(MYSQL_THD thd, const char *variable) {
  if (thd == nullptr || thd_sql_command(thd) != SQLCOM_SET_OPTION) return false;
  SERVICE_TYPE(global_grants_check) *check = grants_check.load();
  if (check == nullptr) {
    my_printf_error(ER_SPECIFIC_ACCESS_DENIED_ERROR,
                    "%s cannot be set while the auth_awsiam plugin, which "
                    "checks the %s privilege, is not running",
                    MYF(0), variable, admin_privilege);
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
                  MYF(0), admin_privilege, variable);
  return true;
}

/* ---- Authentication ---------------------------------------------------- */

/* Whether the client's connection is TLS. Servers before 9.x do not report it
   in MYSQL_PLUGIN_VIO_INFO; there the connection's own vio type tells. */
bool awsiam_connection_is_tls(const MYSQL_PLUGIN_VIO_INFO &vio_info) {
#ifdef AUTH_AWSIAM_VIO_INFO_HAS_TLS
  return vio_info.is_tls_established;
#else
  (void)vio_info;
  THD *thd = current_thd;
  return thd != nullptr && thd->get_vio_type() == VIO_TYPE_SSL;
#endif
}

/* TLS or a local connection (socket, pipe, shared memory). */
bool awsiam_connection_is_secure(const MYSQL_PLUGIN_VIO_INFO &vio_info) {
  const bool local =
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_SOCKET ||
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_PIPE ||
      vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_MEMORY;
  return local || awsiam_connection_is_tls(vio_info);
}

static int awsiam_authenticate_user(MYSQL_PLUGIN_VIO *vio,
                                    MYSQL_SERVER_AUTH_INFO *info) {
  MYSQL_PLUGIN_VIO_INFO vio_info;
  vio->info(vio, &vio_info);

  awsiam_login login;
  /* The matched account's name, not the one typed: for an anonymous account
     (''@'%') the default rule must compare the role with '', not with
     whatever name the client chose. */
  login.user = info->authenticated_as;
  login.user_len = strlen(info->authenticated_as);
  /* The name the client sent, for the log line: through an anonymous account
     it is the only trace of who tried. */
  login.client_user = info->user_name;
  login.client_user_len = info->user_name != nullptr ? info->user_name_length : 0;
  login.host = info->host_or_ip != nullptr ? info->host_or_ip : "";
  login.host_len = info->host_or_ip != nullptr ? info->host_or_ip_length : 0;
  login.auth_string = info->auth_string != nullptr ? info->auth_string : "";
  login.auth_string_len =
      info->auth_string != nullptr ? info->auth_string_length : 0;
  login.token = nullptr;
  login.token_len = 0;
  login.secure_transport = awsiam_connection_is_secure(vio_info) ? 1 : 0;

  /* Before the token is asked for: the first read_packet is what makes the
     server switch the client to mysql_clear_password, and the client then
     sends its token, in clear on a plain connection. */
  if (awsiam_transport_check(&login) != AWSIAM_ALLOW) return CR_ERROR;

  unsigned char *packet = nullptr;
  const int packet_len = vio->read_packet(vio, &packet);
  info->password_used = PASSWORD_USED_YES;
  login.token = packet_len >= 0 ? packet : nullptr;
  login.token_len = packet_len >= 0 ? static_cast<size_t>(packet_len) : 0;

  char mapped[sizeof(info->authenticated_as)];
  static_assert(sizeof(mapped) > AWSIAM_MAX_ACCOUNT_NAME_LEN,
                "authenticated_as must hold any mapped account name");
  const int verdict =
      awsiam_authenticate(&login, info->external_user,
                          sizeof(info->external_user), mapped, sizeof(mapped));
  if (verdict != AWSIAM_ALLOW) return CR_ERROR;
  /* A mapping rule named another account: MySQL proxies to it (GRANT PROXY and
     the account's existence are checked by the server after we return). */
  if (mapped[0] != '\0') memcpy(info->authenticated_as, mapped, sizeof(mapped));
  return CR_OK;
}

/* IDENTIFIED BY / SET PASSWORD, and CREATE USER ... IDENTIFIED WITH
   auth_awsiam without AS (an empty password): there is no password to store. */
int awsiam_generate_auth_string(char *outbuf [[maybe_unused]],
                                       unsigned int *outbuflen,
                                       const char *inbuf [[maybe_unused]],
                                       unsigned int inbuflen) {
  *outbuflen = 0;
  THD *thd = current_thd;
  const int creating =
      thd != nullptr && thd_sql_command(thd) == SQLCOM_CREATE_USER ? 1 : 0;
  char reason[512];
  if (awsiam_password_check(creating, inbuflen, reason, sizeof(reason)) == 0)
    return 0;
  my_printf_error(ER_PASSWORD_FORMAT, "%s", MYF(0), reason);
  return 1;
}

/* IDENTIFIED WITH auth_awsiam AS '...': the string binds the account to ARNs
   (auth_awsiam_challenge uses it too). */
int awsiam_validate_auth_string(char *const inbuf, unsigned int buflen) {
  char reason[512];
  if (awsiam_auth_string_check(inbuf, buflen, reason, sizeof(reason)) == 0)
    return 0;
  if (in_user_statement())
    my_printf_error(ER_PASSWORD_FORMAT,
                    "Invalid auth_awsiam authentication string: %s", MYF(0),
                    reason);
  else if (plugin_handle != nullptr)
    /* Loading the grant tables: MySQL ignores the account and names it in
       its next line. Say what to do, since ALTER USER cannot reach it. */
    my_plugin_log_message(
        &plugin_handle, MY_WARNING_LEVEL,
        "the stored auth string of an account is not valid: %s. The server "
        "ignores the account (named in the next line) and ALTER USER cannot "
        "reach it: write a valid string into mysql.user and FLUSH PRIVILEGES, "
        "or DROP USER and create it again",
        reason);
  return 1;
}

static int awsiam_set_salt(const char *password [[maybe_unused]],
                           unsigned int password_len [[maybe_unused]],
                           unsigned char *salt [[maybe_unused]],
                           unsigned char *salt_len) {
  *salt_len = 0;
  return 0;
}

static struct st_mysql_auth awsiam_auth_handler = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    "mysql_clear_password", /* the token travels as a cleartext password */
    awsiam_authenticate_user,
    awsiam_generate_auth_string,
    awsiam_validate_auth_string,
    awsiam_set_salt,
    /* Only a user who may manage accounts changes an auth_awsiam account's
       authentication: its own user cannot, even with ALTER USER USER(). */
    AUTH_FLAG_PRIVILEGED_USER_FOR_PASSWORD_CHANGE,
    nullptr};

/* ---- System variables ---------------------------------------------------- */

static char *sts_endpoint;
static char *region;
static char *allowed_accounts;
static char *server_id;
static char *allowed_partitions;
static unsigned int token_max_age;
static unsigned int sts_connect_timeout;
static unsigned int sts_timeout;
static bool require_secure_transport;
static unsigned int cache_ttl;
static unsigned int cache_size;
static unsigned int log_verbosity;

/* Names of the variables checked here, for error messages. */
static const char *setting_name(int setting) {
  switch (setting) {
    case AWSIAM_STS_ENDPOINT:
      return "auth_awsiam_sts_endpoint";
    case AWSIAM_REGION:
      return "auth_awsiam_region";
    case AWSIAM_ALLOWED_ACCOUNTS:
      return "auth_awsiam_allowed_accounts";
    case AWSIAM_SERVER_ID:
      return "auth_awsiam_server_id";
    case AWSIAM_ALLOWED_PARTITIONS:
      return "auth_awsiam_allowed_partitions";
    case AWSIAM_TOKEN_MAX_AGE:
      return "auth_awsiam_token_max_age";
    case AWSIAM_REQUIRE_SECURE_TRANSPORT:
      return "auth_awsiam_require_secure_transport";
  }
  return "auth_awsiam";
}

/* The settings that decide who may log in: changing them needs AUTH_AWSIAM_ADMIN. The
   others (STS timeouts, the cache, log verbosity) change how fast or how loudly, not who:
   SYSTEM_VARIABLES_ADMIN is enough for them. */
static constexpr bool needs_admin(int setting) {
  return setting == AWSIAM_STS_ENDPOINT || setting == AWSIAM_REGION ||
         setting == AWSIAM_ALLOWED_ACCOUNTS || setting == AWSIAM_SERVER_ID ||
         setting == AWSIAM_ALLOWED_PARTITIONS ||
         setting == AWSIAM_TOKEN_MAX_AGE ||
         setting == AWSIAM_REQUIRE_SECURE_TRANSPORT;
}

/* The value of a string variable, kept here rather than by the server (the variable has
   no PLUGIN_VAR_MEMALLOC): with MEMALLOC the server frees the old value after the update
   function whatever that did, so the update could not refuse SET ... = DEFAULT, which
   MySQL hands to the update function without calling the check function. Written by the
   update function and read by the server, both under LOCK_global_system_variables. */
template <int Setting>
static std::string &kept_value() {
  static std::string value;
  return value;
}

template <int Setting>
static int check_str(MYSQL_THD thd, SYS_VAR *var [[maybe_unused]], void *save,
                     struct st_mysql_value *value) {
  static_assert(needs_admin(Setting), "every string setting decides who gets in");
  if (awsiam_require_admin(thd, setting_name(Setting))) return 1;
  char buf[1024];
  int len = sizeof(buf);
  const char *str = value->val_str(value, buf, &len);
  char reason[512];
  if (str == nullptr) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR,
                    "Variable '%s' can't be set to NULL: use '' instead",
                    MYF(0), setting_name(Setting));
    return 1;
  }
  /* A value that fills buf exactly comes back in buf with no NUL after it:
     check and keep a NUL-terminated copy of exactly len bytes, on the
     statement's arena (the value must outlive this call). */
  const char *copy = thd_strmake(thd, str, len);
  if (awsiam_setting_check(Setting, copy, reason, sizeof(reason)) != 0) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR, "Variable '%s' can't be set: %s",
                    MYF(0), setting_name(Setting), reason);
    return 1;
  }
  *static_cast<const char **>(save) = copy;
  return 0;
}

/* Checked by check_str, except SET ... = DEFAULT, which comes here unchecked: the
   privilege is checked again, and a refusal leaves the value as it was (the server sees
   the error and fails the statement). */
template <int Setting>
static void update_str(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                       const void *save) {
  if (awsiam_require_admin(thd, setting_name(Setting))) return;
  const char *value = *static_cast<const char *const *>(save);
  std::string &kept = kept_value<Setting>();
  kept = value != nullptr ? value : "";
  *static_cast<char **>(var_ptr) = const_cast<char *>(kept.c_str());
  char reason[512];
  /* Already validated by check_str (a default is valid). */
  awsiam_setting_set_str(Setting, kept.c_str(), reason, sizeof(reason));
}

/* A number setting that needs AUTH_AWSIAM_ADMIN: the privilege, then MySQL's own check of
   the value (range, type), which a check function replaces. */
template <int Setting>
static int check_admin_uint(MYSQL_THD thd, SYS_VAR *var, void *save,
                            struct st_mysql_value *value) {
  static_assert(needs_admin(Setting), "only settings that decide who gets in");
  if (awsiam_require_admin(thd, setting_name(Setting))) return 1;
  return check_func_int(thd, var, save, value);
}

static int check_require_secure_transport(MYSQL_THD thd, SYS_VAR *var,
                                          void *save,
                                          struct st_mysql_value *value) {
  if (awsiam_require_admin(thd,
                           setting_name(AWSIAM_REQUIRE_SECURE_TRANSPORT)))
    return 1;
  return check_func_bool(thd, var, save, value);
}

template <int Setting>
static void update_uint(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                        const void *save) {
  /* SET ... = DEFAULT: see update_str. */
  if (needs_admin(Setting) && awsiam_require_admin(thd, setting_name(Setting)))
    return;
  const unsigned int value = *static_cast<const unsigned int *>(save);
  *static_cast<unsigned int *>(var_ptr) = value;
  awsiam_setting_set_num(Setting, value);
}

static void update_require_secure_transport(MYSQL_THD thd, SYS_VAR *,
                                            void *var_ptr, const void *save) {
  /* SET ... = DEFAULT: see update_str. */
  if (awsiam_require_admin(thd,
                           setting_name(AWSIAM_REQUIRE_SECURE_TRANSPORT)))
    return;
  const bool value = *static_cast<const bool *>(save);
  *static_cast<bool *>(var_ptr) = value;
  awsiam_setting_set_num(AWSIAM_REQUIRE_SECURE_TRANSPORT, value ? 1 : 0);
}

static MYSQL_SYSVAR_STR(
    sts_endpoint, sts_endpoint, PLUGIN_VAR_RQCMDARG,
    "STS endpoint URL (https://host[:port], or http:// on loopback) whose host "
    "tokens may name, besides the official STS hosts. Empty: official hosts "
    "only.",
    check_str<AWSIAM_STS_ENDPOINT>, update_str<AWSIAM_STS_ENDPOINT>, "");

static MYSQL_SYSVAR_STR(
    region, region, PLUGIN_VAR_RQCMDARG,
    "AWS region of the configured STS endpoint and of the server's own "
    "identity lookup. Empty: from the server's AWS configuration, else "
    "us-east-1.",
    check_str<AWSIAM_REGION>, update_str<AWSIAM_REGION>, "");

static MYSQL_SYSVAR_STR(
    allowed_accounts, allowed_accounts, PLUGIN_VAR_RQCMDARG,
    "Comma-separated 12-digit AWS account IDs whose principals may log in. "
    "Empty: the server's own account.",
    check_str<AWSIAM_ALLOWED_ACCOUNTS>, update_str<AWSIAM_ALLOWED_ACCOUNTS>,
    "");

static MYSQL_SYSVAR_STR(
    server_id, server_id, PLUGIN_VAR_RQCMDARG,
    "Audience value every token must be signed for (header "
    "x-auth-awsiam-server-id), so a token for one server cannot be used on "
    "another. Empty: not required.",
    check_str<AWSIAM_SERVER_ID>, update_str<AWSIAM_SERVER_ID>, "");

static MYSQL_SYSVAR_STR(
    allowed_partitions, allowed_partitions, PLUGIN_VAR_RQCMDARG,
    "Comma-separated AWS partitions (aws, aws-cn, aws-us-gov, aws-iso*) whose "
    "principals may log in. Empty: the server's own partition, that of its "
    "region.",
    check_str<AWSIAM_ALLOWED_PARTITIONS>,
    update_str<AWSIAM_ALLOWED_PARTITIONS>, "");

static MYSQL_SYSVAR_UINT(token_max_age, token_max_age, PLUGIN_VAR_RQCMDARG,
                         "Seconds a token stays valid after it was signed.",
                         check_admin_uint<AWSIAM_TOKEN_MAX_AGE>,
                         update_uint<AWSIAM_TOKEN_MAX_AGE>, 900, 1, 900, 0);

static MYSQL_SYSVAR_UINT(sts_connect_timeout, sts_connect_timeout,
                         PLUGIN_VAR_RQCMDARG,
                         "Seconds to wait for a connection to STS.", nullptr,
                         update_uint<AWSIAM_STS_CONNECT_TIMEOUT>, 2, 1, 60, 0);

static MYSQL_SYSVAR_UINT(sts_timeout, sts_timeout, PLUGIN_VAR_RQCMDARG,
                         "Seconds one STS request may take in all.", nullptr,
                         update_uint<AWSIAM_STS_TIMEOUT>, 5, 1, 300, 0);

static MYSQL_SYSVAR_BOOL(
    require_secure_transport, require_secure_transport, PLUGIN_VAR_RQCMDARG,
    "Refuse tokens sent over a connection that is neither TLS nor local.",
    check_require_secure_transport, update_require_secure_transport, true);

static MYSQL_SYSVAR_UINT(
    cache_ttl, cache_ttl, PLUGIN_VAR_RQCMDARG,
    "Seconds a verified token is remembered, so that reusing it skips STS. "
    "0 disables the cache.",
    nullptr, update_uint<AWSIAM_CACHE_TTL>, 60, 0, 900, 0);

static MYSQL_SYSVAR_UINT(cache_size, cache_size, PLUGIN_VAR_RQCMDARG,
                         "Most verified tokens remembered at once.", nullptr,
                         update_uint<AWSIAM_CACHE_SIZE>, 10000, 0, 1000000, 0);

static MYSQL_SYSVAR_UINT(
    log_verbosity, log_verbosity, PLUGIN_VAR_RQCMDARG,
    "What goes to the error log: 1 errors, 2 also refused logins, 3 also "
    "successful logins.",
    nullptr, update_uint<AWSIAM_LOG_VERBOSITY>, 2, 1, 3, 0);

static SYS_VAR *awsiam_system_variables[] = {
    MYSQL_SYSVAR(sts_endpoint),        MYSQL_SYSVAR(region),
    MYSQL_SYSVAR(allowed_accounts),    MYSQL_SYSVAR(server_id),
    MYSQL_SYSVAR(token_max_age),       MYSQL_SYSVAR(sts_connect_timeout),
    MYSQL_SYSVAR(sts_timeout),         MYSQL_SYSVAR(require_secure_transport),
    MYSQL_SYSVAR(cache_ttl),           MYSQL_SYSVAR(cache_size),
    MYSQL_SYSVAR(log_verbosity),       MYSQL_SYSVAR(allowed_partitions),
    nullptr};

/* ---- Status variables ---------------------------------------------------- */

static int show_server_account(MYSQL_THD, SHOW_VAR *var, char *buf) {
  awsiam_server_account(buf, SHOW_VAR_FUNC_BUFF_SIZE);
  var->type = SHOW_CHAR;
  var->value = buf;
  return 0;
}

#define AWSIAM_COUNTER(name, field)                                \
  {"Auth_awsiam_" name,                                            \
   reinterpret_cast<char *>(                                       \
       const_cast<unsigned long long *>(&awsiam_counters()->field)), \
   SHOW_LONGLONG, SHOW_SCOPE_GLOBAL}

static SHOW_VAR awsiam_status_variables[] = {
    AWSIAM_COUNTER("successes", successes),
    AWSIAM_COUNTER("failures", failures),
    AWSIAM_COUNTER("failures_no_token", failures_no_token),
    AWSIAM_COUNTER("failures_token_invalid", failures_token_invalid),
    AWSIAM_COUNTER("failures_token_expired", failures_token_expired),
    AWSIAM_COUNTER("failures_server_id", failures_server_id),
    AWSIAM_COUNTER("failures_insecure_transport", failures_insecure_transport),
    AWSIAM_COUNTER("failures_sts_unavailable", failures_sts_unavailable),
    AWSIAM_COUNTER("failures_sts_throttled", failures_sts_throttled),
    AWSIAM_COUNTER("failures_sts_busy", failures_sts_busy),
    AWSIAM_COUNTER("failures_sts_rejected", failures_sts_rejected),
    AWSIAM_COUNTER("failures_account_not_allowed",
                   failures_account_not_allowed),
    AWSIAM_COUNTER("failures_principal_mismatch", failures_principal_mismatch),
    AWSIAM_COUNTER("failures_no_matching_rule", failures_no_matching_rule),
    AWSIAM_COUNTER("failures_internal", failures_internal),
    AWSIAM_COUNTER("sts_requests", sts_requests),
    AWSIAM_COUNTER("sts_errors", sts_errors),
    AWSIAM_COUNTER("cache_hits", cache_hits),
    AWSIAM_COUNTER("sts_time_us", sts_time_us),
    AWSIAM_COUNTER("sts_connections", sts_connections),
    AWSIAM_COUNTER("sts_retries", sts_retries),
    {"Auth_awsiam_server_account",
     reinterpret_cast<char *>(&show_server_account), SHOW_FUNC,
     SHOW_SCOPE_GLOBAL},
    {nullptr, nullptr, SHOW_UNDEF, SHOW_SCOPE_UNDEF}};

/* ---- Plugin life cycle ----------------------------------------------------- */

static int awsiam_plugin_init(MYSQL_PLUGIN plugin) {
  plugin_handle = plugin;
  if (!admin_privilege_register()) return 1;
  if (awsiam_init(log_sink) != 0) {
    admin_privilege_unregister();
    return 1;
  }

  /* Values from the command line or my.cnf were not seen by check_str. */
  const struct {
    int setting;
    const char *value;
  } strings[] = {{AWSIAM_STS_ENDPOINT, sts_endpoint},
                 {AWSIAM_REGION, region},
                 {AWSIAM_ALLOWED_ACCOUNTS, allowed_accounts},
                 {AWSIAM_SERVER_ID, server_id},
                 {AWSIAM_ALLOWED_PARTITIONS, allowed_partitions}};
  for (const auto &s : strings) {
    char reason[512];
    if (awsiam_setting_set_str(s.setting, s.value != nullptr ? s.value : "",
                               reason, sizeof(reason)) != 0) {
      my_plugin_log_message(&plugin_handle, MY_ERROR_LEVEL,
                            "%s: %s; the plugin is not started",
                            setting_name(s.setting), reason);
      awsiam_deinit();
      admin_privilege_unregister();
      return 1;
    }
  }
  awsiam_setting_set_num(AWSIAM_TOKEN_MAX_AGE, token_max_age);
  awsiam_setting_set_num(AWSIAM_STS_CONNECT_TIMEOUT, sts_connect_timeout);
  awsiam_setting_set_num(AWSIAM_STS_TIMEOUT, sts_timeout);
  awsiam_setting_set_num(AWSIAM_REQUIRE_SECURE_TRANSPORT,
                         require_secure_transport ? 1 : 0);
  awsiam_setting_set_num(AWSIAM_CACHE_TTL, cache_ttl);
  awsiam_setting_set_num(AWSIAM_CACHE_SIZE, cache_size);
  awsiam_setting_set_num(AWSIAM_LOG_VERBOSITY, log_verbosity);
  awsiam_start();
  return 0;
}

static int awsiam_plugin_deinit(MYSQL_PLUGIN) {
  awsiam_deinit();
  admin_privilege_unregister();
  plugin_handle = nullptr;
  return 0;
}

mysql_declare_plugin(auth_awsiam){
    MYSQL_AUTHENTICATION_PLUGIN,
    &awsiam_auth_handler,
    "auth_awsiam",
    "auth_awsiam authors",
    "AWS IAM authentication (token = client-signed sts:GetCallerIdentity)",
    PLUGIN_LICENSE_GPL,
    awsiam_plugin_init,
    nullptr, /* check uninstall */
    awsiam_plugin_deinit,
    0x0100, /* 1.0 */
    awsiam_status_variables,
    awsiam_system_variables,
    nullptr,
    0,
},
    /* auth_awsiam_challenge.cc: the same checks and settings, but the client
       plugin auth_awsiam_client signs a one-time challenge. */
    {
        MYSQL_AUTHENTICATION_PLUGIN,
        &awsiam_challenge_handler,
        "auth_awsiam_challenge",
        "auth_awsiam authors",
        "AWS IAM authentication by a one-time challenge signed by the client "
        "plugin auth_awsiam_client",
        PLUGIN_LICENSE_GPL,
        awsiam_challenge_plugin_init,
        nullptr, /* check uninstall */
        awsiam_challenge_plugin_deinit,
        0x0100, /* 1.0 */
        awsiam_challenge_status_variables,
        awsiam_challenge_system_variables,
        nullptr,
        0,
    } mysql_declare_plugin_end;
