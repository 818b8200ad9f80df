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

  auth_awsiam_challenge: the server plugin that asks the client plugin
  auth_awsiam_client to sign a one-time challenge with the client's AWS
  credentials. Declared in auth_awsiam.cc's plugin list (one library); this
  file is only its glue: the handler, its system and status variables, the
  vio exchange. Every decision is taken by the Rust core
  (auth_awsiam_core_challenge.h), with the settings of auth_awsiam.
*/

#include "auth_awsiam_challenge.h"

#include <mysql/plugin_auth.h>
#include <mysql/service_my_plugin_log.h>
#include <mysql/service_thd_alloc.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <cstring>
#include <string>

#include "my_sys.h"
#include "mysqld_error.h"
#include "sql/current_thd.h"
#include "sql/sql_class.h" /* the connection's TLS session, for its certificate */
#include "violite.h"

#include "auth_awsiam_core_challenge.h"

static MYSQL_PLUGIN challenge_handle = nullptr;

/* What the core cannot log itself: auth_awsiam (its log sink) is not running. */
static void log_unavailable(const char *what) {
  if (challenge_handle != nullptr)
    my_plugin_log_message(
        &challenge_handle, MY_ERROR_LEVEL,
        "%s: auth_awsiam_challenge needs the auth_awsiam plugin of the same "
        "library, which holds the settings: INSTALL PLUGIN auth_awsiam SONAME "
        "'auth_awsiam.so'",
        what);
}

/* This server's certificate on the client's TLS connection, as DER (OPENSSL_free
   it), or -1. The plugin API does not reach the TLS session: the connection's
   vio does (the THD advertises it only after authentication). */
static int server_certificate(unsigned char **der) {
  THD *thd = current_thd;
  Vio *net_vio = thd != nullptr ? thd->get_net()->vio : nullptr;
  if (net_vio == nullptr || net_vio->type != VIO_TYPE_SSL) return -1;
  X509 *cert = SSL_get_certificate(static_cast<SSL *>(net_vio->ssl_arg));
  return cert != nullptr ? i2d_X509(cert, der) : -1;
}

static int challenge_authenticate_user(MYSQL_PLUGIN_VIO *vio,
                                       MYSQL_SERVER_AUTH_INFO *info) {
  info->password_used = PASSWORD_USED_NO;

  MYSQL_PLUGIN_VIO_INFO vio_info;
  vio->info(vio, &vio_info);
  const bool tcp = vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_TCP;

  awsiam_login login;
  /* The matched account's name, and the one the client sent (see
     auth_awsiam.cc). */
  login.user = info->authenticated_as;
  login.user_len = strlen(info->authenticated_as);
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

  /* The transport is checked before anything is sent. */
  awsiam_challenge challenge;
  int verdict = awsiam_challenge_issue(&login, &challenge);
  if (verdict == AWSIAM_UNAVAILABLE) log_unavailable("login refused");
  if (verdict != AWSIAM_ALLOW) return CR_ERROR;

  /* The first packet goes out as the request to switch to auth_awsiam_client;
     a client that cannot load it closes the connection: no answer then. */
  unsigned char *packet = nullptr;
  int packet_len = -1;
  if (vio->write_packet(vio, challenge.message,
                        static_cast<int>(challenge.message_len)) == 0)
    packet_len = vio->read_packet(vio, &packet);
  login.token = packet_len >= 0 ? packet : nullptr;
  login.token_len = packet_len >= 0 ? static_cast<size_t>(packet_len) : 0;

  awsiam_connection connection;
  connection.socket = tcp ? vio_info.socket : -1;
  connection.tls = awsiam_connection_is_tls(vio_info) ? 1 : 0;
  unsigned char *certificate = nullptr;
  const int certificate_len =
      connection.tls != 0 ? server_certificate(&certificate) : -1;
  connection.tls_certificate = certificate_len > 0 ? certificate : nullptr;
  connection.tls_certificate_len =
      certificate_len > 0 ? static_cast<size_t>(certificate_len) : 0;

  char mapped[sizeof(info->authenticated_as)];
  static_assert(sizeof(mapped) > AWSIAM_MAX_ACCOUNT_NAME_LEN,
                "authenticated_as must hold any mapped account name");
  verdict = awsiam_challenge_verify(&login, &challenge, &connection,
                                    info->external_user,
                                    sizeof(info->external_user), mapped,
                                    sizeof(mapped));
  OPENSSL_free(certificate);
  if (verdict == AWSIAM_UNAVAILABLE) log_unavailable("login refused");
  if (verdict != AWSIAM_ALLOW) return CR_ERROR;
  /* A mapping rule named another account: MySQL proxies to it. */
  if (mapped[0] != '\0') memcpy(info->authenticated_as, mapped, sizeof(mapped));
  return CR_OK;
}


static int challenge_set_salt(const char *password [[maybe_unused]],
                              unsigned int password_len [[maybe_unused]],
                              unsigned char *salt [[maybe_unused]],
                              unsigned char *salt_len) {
  *salt_len = 0;
  return 0;
}

/* AS '...' is checked exactly as for auth_awsiam (one policy engine). */
st_mysql_auth awsiam_challenge_handler = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    "auth_awsiam_client", /* the client plugin that answers the challenge */
    challenge_authenticate_user,
    /* The same rule as auth_awsiam: no password is ever set, and only a user
       who may manage accounts changes the binding (not the user itself). */
    awsiam_generate_auth_string,
    awsiam_validate_auth_string,
    challenge_set_salt,
    AUTH_FLAG_PRIVILEGED_USER_FOR_PASSWORD_CHANGE,
    nullptr};

/* ---- System variables ---------------------------------------------------- */

static char *audiences;
static unsigned int timeout;
static bool channel_binding;

/* auth_awsiam_challenge_audiences decides who may log in: it needs AUTH_AWSIAM_ADMIN
   (awsiam_require_admin), also for SET ... = DEFAULT, which reaches update_audiences
   without this check; so the value is kept here, not by the server (no
   PLUGIN_VAR_MEMALLOC), and a refused update leaves it as it was (see auth_awsiam.cc). */
static const char audiences_name[] = "auth_awsiam_challenge_audiences";
static std::string kept_audiences;

static int check_audiences(MYSQL_THD thd, SYS_VAR *, void *save,
                           struct st_mysql_value *value) {
  if (awsiam_require_admin(thd, audiences_name)) return 1;
  char buf[2048];
  int len = sizeof(buf);
  const char *str = value->val_str(value, buf, &len);
  char reason[512];
  if (str == nullptr) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR,
                    "Variable 'auth_awsiam_challenge_audiences' can't be set "
                    "to NULL: use '' instead",
                    MYF(0));
    return 1;
  }
  /* A value that fills buf comes back with no NUL after it: check a copy. */
  const char *copy = thd_strmake(thd, str, len);
  if (awsiam_challenge_setting_check(AWSIAM_CHALLENGE_AUDIENCES, copy, reason,
                                     sizeof(reason)) != 0) {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR,
                    "Variable 'auth_awsiam_challenge_audiences' can't be set: "
                    "%s",
                    MYF(0), reason);
    return 1;
  }
  *static_cast<const char **>(save) = copy;
  return 0;
}

static void update_audiences(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                             const void *save) {
  if (awsiam_require_admin(thd, audiences_name)) return;
  const char *value = *static_cast<const char *const *>(save);
  kept_audiences = value != nullptr ? value : "";
  *static_cast<char **>(var_ptr) = const_cast<char *>(kept_audiences.c_str());
  char reason[512];
  awsiam_challenge_setting_set_str(AWSIAM_CHALLENGE_AUDIENCES,
                                   kept_audiences.c_str(), reason,
                                   sizeof(reason));
}

static void update_timeout(MYSQL_THD, SYS_VAR *, void *var_ptr,
                           const void *save) {
  const unsigned int value = *static_cast<const unsigned int *>(save);
  *static_cast<unsigned int *>(var_ptr) = value;
  awsiam_challenge_setting_set_num(AWSIAM_CHALLENGE_TIMEOUT, value);
}

static MYSQL_SYSVAR_STR(
    audiences, audiences, PLUGIN_VAR_RQCMDARG,
    "Server names (host[:port], comma separated) a challenge answer may be "
    "signed for: the names clients dial. Empty: localhost, the host name and "
    "the address the connection reached. '*': any (no relay protection).",
    check_audiences, update_audiences, "");

static MYSQL_SYSVAR_UINT(
    timeout, timeout, PLUGIN_VAR_RQCMDARG,
    "Seconds the server waits for the answer to a challenge (connect_timeout "
    "also bounds it).",
    nullptr, update_timeout, 10, 1, 300, 0);

static const char channel_binding_name[] =
    "auth_awsiam_challenge_channel_binding";

/* Who may turn relay protection off: AUTH_AWSIAM_ADMIN, as for audiences. */
static int check_channel_binding(MYSQL_THD thd, SYS_VAR *var, void *save,
                                 struct st_mysql_value *value) {
  if (awsiam_require_admin(thd, channel_binding_name)) return 1;
  return check_func_bool(thd, var, save, value);
}

static void update_channel_binding(MYSQL_THD thd, SYS_VAR *, void *var_ptr,
                                   const void *save) {
  /* SET ... = DEFAULT skips the check function (see update_audiences). */
  if (awsiam_require_admin(thd, channel_binding_name)) return;
  const bool value = *static_cast<const bool *>(save);
  *static_cast<bool *>(var_ptr) = value;
  awsiam_challenge_setting_set_num(AWSIAM_CHALLENGE_CHANNEL_BINDING,
                                   value ? 1 : 0);
}

static MYSQL_SYSVAR_BOOL(
    channel_binding, channel_binding, PLUGIN_VAR_RQCMDARG,
    "Refuse an answer over TLS unless it is bound to this server's TLS "
    "certificate (a relay shows the client its own). OFF only behind a router "
    "that terminates TLS itself.",
    check_channel_binding, update_channel_binding, true);

SYS_VAR *awsiam_challenge_system_variables[] = {
    MYSQL_SYSVAR(audiences), MYSQL_SYSVAR(timeout),
    MYSQL_SYSVAR(channel_binding), nullptr};

/* ---- Status variables ---------------------------------------------------- */

#define CHALLENGE_COUNTER(name, field)                                 \
  {"Auth_awsiam_challenge_" name,                                      \
   reinterpret_cast<char *>(const_cast<unsigned long long *>(          \
       &awsiam_challenge_counters()->field)),                          \
   SHOW_LONGLONG, SHOW_SCOPE_GLOBAL}

SHOW_VAR awsiam_challenge_status_variables[] = {
    CHALLENGE_COUNTER("issued", issued),
    CHALLENGE_COUNTER("successes", successes),
    CHALLENGE_COUNTER("failures", failures),
    {nullptr, nullptr, SHOW_UNDEF, SHOW_SCOPE_UNDEF}};

/* ---- Plugin life cycle ----------------------------------------------------- */

int awsiam_challenge_plugin_init(MYSQL_PLUGIN plugin) {
  challenge_handle = plugin;
  if (awsiam_challenge_init() != 0) {
    log_unavailable("not started");
    challenge_handle = nullptr;
    return 1;
  }
  char reason[512];
  if (awsiam_challenge_setting_set_str(AWSIAM_CHALLENGE_AUDIENCES,
                                       audiences != nullptr ? audiences : "",
                                       reason, sizeof(reason)) != 0) {
    my_plugin_log_message(&challenge_handle, MY_ERROR_LEVEL,
                          "auth_awsiam_challenge_audiences: %s; the plugin is "
                          "not started",
                          reason);
    challenge_handle = nullptr;
    return 1;
  }
  awsiam_challenge_setting_set_num(AWSIAM_CHALLENGE_TIMEOUT, timeout);
  awsiam_challenge_setting_set_num(AWSIAM_CHALLENGE_CHANNEL_BINDING,
                                   channel_binding ? 1 : 0);
  return 0;
}

int awsiam_challenge_plugin_deinit(MYSQL_PLUGIN) {
  challenge_handle = nullptr;
  return 0;
}
