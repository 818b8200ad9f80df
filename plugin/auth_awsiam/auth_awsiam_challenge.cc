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
  vio exchange. The plumbing both plugins share is in auth_awsiam_common.cc;
  every decision is taken by the Rust core (auth_awsiam_core_challenge.h),
  with the settings of auth_awsiam.
*/

#include "auth_awsiam_challenge.h"

#include <mysql/plugin_auth.h>
#include <mysql/service_my_plugin_log.h>
#include <openssl/crypto.h>

#include "auth_awsiam_common.h"
#include "auth_awsiam_core_challenge.h"

static MYSQL_PLUGIN challenge_handle = nullptr;

/* What the core cannot log itself: auth_awsiam (its log sink) is not running.
 */
static void log_unavailable(const char *what) {
  if (challenge_handle != nullptr)
    my_plugin_log_message(
        &challenge_handle, MY_ERROR_LEVEL,
        "%s: auth_awsiam_challenge needs the auth_awsiam plugin of the same "
        "library, which holds the settings: INSTALL PLUGIN auth_awsiam SONAME "
        "'auth_awsiam.so'",
        what);
}

static int challenge_authenticate_user(MYSQL_PLUGIN_VIO *vio,
                                       MYSQL_SERVER_AUTH_INFO *info) {
  info->password_used = PASSWORD_USED_NO;
  MYSQL_PLUGIN_VIO_INFO vio_info;
  vio->info(vio, &vio_info);
  awsiam_login login;
  awsiam_login_init(&login, info, vio_info);

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

  /* The connection the answer must be bound to: its address, and over TLS
     this server's certificate. */
  awsiam_connection connection;
  connection.socket = vio_info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_TCP
                          ? vio_info.socket
                          : -1;
  connection.tls = awsiam_connection_is_tls(vio_info) ? 1 : 0;
  unsigned char *certificate = nullptr;
  const int certificate_len =
      connection.tls != 0 ? awsiam_server_certificate(&certificate) : -1;
  connection.tls_certificate = certificate_len > 0 ? certificate : nullptr;
  connection.tls_certificate_len =
      certificate_len > 0 ? static_cast<size_t>(certificate_len) : 0;

  char mapped[AWSIAM_MAPPED_BUF];
  verdict = awsiam_challenge_verify(
      &login, &challenge, &connection, info->external_user,
      sizeof(info->external_user), mapped, sizeof(mapped));
  OPENSSL_free(certificate);
  if (verdict == AWSIAM_UNAVAILABLE) log_unavailable("login refused");
  if (verdict != AWSIAM_ALLOW) return CR_ERROR;
  awsiam_adopt_mapped_account(info, mapped);
  return CR_OK;
}

/* AS '...' is checked exactly as for auth_awsiam (one policy engine). */
st_mysql_auth awsiam_challenge_handler = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    "auth_awsiam_client", /* the client plugin that answers the challenge */
    challenge_authenticate_user,
    /* The same rule as auth_awsiam: no password is ever set, and only a user
       who may manage accounts changes the binding (not the user itself). */
    awsiam_generate_auth_string, awsiam_validate_auth_string, awsiam_set_salt,
    AUTH_FLAG_PRIVILEGED_USER_FOR_PASSWORD_CHANGE, nullptr};

/* ---- System variables ----------------------------------------------------
   Declared with the names, help, defaults and ranges of the core's table
   (core/src/sysvar.rs; core/tests/sysvars.rs holds these declarations to it).
 */

static char *audiences;
static unsigned int timeout;
static bool channel_binding;
static char *answers;

static MYSQL_SYSVAR_STR(
    audiences, audiences, PLUGIN_VAR_RQCMDARG,
    "Server names (host[:port], comma separated) a challenge answer may be "
    "signed for: the names clients dial. Empty: this server's own names for "
    "each connection (its host name and the address it reached; localhost "
    "only over loopback or the socket). '*': any (no relay protection by "
    "name).",
    awsiam_check_str_of<AWSIAM_CHALLENGE_AUDIENCES>,
    awsiam_update_str_of<AWSIAM_CHALLENGE_AUDIENCES>, "");

static MYSQL_SYSVAR_UINT(
    timeout, timeout, PLUGIN_VAR_RQCMDARG,
    "Seconds the server waits for the answer to a challenge (connect_timeout "
    "also bounds it).",
    awsiam_check_uint_of<AWSIAM_CHALLENGE_TIMEOUT>,
    awsiam_update_uint_of<AWSIAM_CHALLENGE_TIMEOUT>, 10, 1, 300, 0);

static MYSQL_SYSVAR_BOOL(
    channel_binding, channel_binding, PLUGIN_VAR_RQCMDARG,
    "Refuse an answer over TLS unless it is bound to this server's TLS "
    "certificate (a relay shows the client its own). OFF only behind a router "
    "that terminates TLS itself.",
    awsiam_check_bool_of<AWSIAM_CHALLENGE_CHANNEL_BINDING>,
    awsiam_update_bool_of<AWSIAM_CHALLENGE_CHANNEL_BINDING>, true);

static MYSQL_SYSVAR_STR(
    answers, answers, PLUGIN_VAR_RQCMDARG,
    "Kinds of answer a challenge offers, preferred first, comma separated: "
    "sigv4 (a signed GetCallerIdentity, verified by STS), jwt (an AWS-issued "
    "JWT bound to the challenge, verified here: IAM decides who may mint it; "
    "needs auth_awsiam_jwt_issuers and auth_awsiam_jwt_audience).",
    awsiam_check_str_of<AWSIAM_CHALLENGE_ANSWERS>,
    awsiam_update_str_of<AWSIAM_CHALLENGE_ANSWERS>, "sigv4");

SYS_VAR *awsiam_challenge_system_variables[] = {
    MYSQL_SYSVAR(audiences), MYSQL_SYSVAR(timeout),
    MYSQL_SYSVAR(channel_binding), MYSQL_SYSVAR(answers), nullptr};

/* ---- Status variables ---------------------------------------------------- */

#define CHALLENGE_COUNTER(name, field)                             \
  {                                                                \
    "Auth_awsiam_challenge_" name,                                 \
        reinterpret_cast<char *>(const_cast<unsigned long long *>( \
            &awsiam_challenge_counters()->field)),                 \
        SHOW_LONGLONG, SHOW_SCOPE_GLOBAL                           \
  }

SHOW_VAR awsiam_challenge_status_variables[] = {
    CHALLENGE_COUNTER("issued", issued),
    CHALLENGE_COUNTER("successes", successes),
    CHALLENGE_COUNTER("failures", failures),
    {nullptr, nullptr, SHOW_UNDEF, SHOW_SCOPE_UNDEF}};

/* ---- Plugin life cycle -----------------------------------------------------
 */

int awsiam_challenge_plugin_init(MYSQL_PLUGIN plugin) {
  challenge_handle = plugin;
  if (awsiam_challenge_init() != 0) {
    log_unavailable("not started");
    challenge_handle = nullptr;
    return 1;
  }
  /* Values from the command line or my.cnf were not seen by the check
     functions. */
  const awsiam_start_value values[] = {
      {AWSIAM_CHALLENGE_AUDIENCES, &audiences, nullptr, nullptr},
      {AWSIAM_CHALLENGE_TIMEOUT, nullptr, &timeout, nullptr},
      {AWSIAM_CHALLENGE_CHANNEL_BINDING, nullptr, nullptr, &channel_binding},
      {AWSIAM_CHALLENGE_ANSWERS, &answers, nullptr, nullptr},
  };
  if (!awsiam_apply_start_values(plugin, values,
                                 sizeof(values) / sizeof(values[0]))) {
    challenge_handle = nullptr;
    return 1;
  }
  return 0;
}

int awsiam_challenge_plugin_deinit(MYSQL_PLUGIN) {
  challenge_handle = nullptr;
  return 0;
}
