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
  the glue to the server: the plugin declarations of the library (this plugin
  and auth_awsiam_challenge), this plugin's handler, system and status
  variables and life cycle. The plumbing both plugins share is in
  auth_awsiam_common.cc; every decision is taken by the Rust core
  (auth_awsiam_core.h).
*/

#include <mysql/plugin_auth.h>
#include <mysql/service_my_plugin_log.h>

#include "auth_awsiam_challenge.h"
#include "auth_awsiam_common.h"
#include "auth_awsiam_core.h"

/* ---- Authentication ---------------------------------------------------- */

static int awsiam_authenticate_user(MYSQL_PLUGIN_VIO *vio,
                                    MYSQL_SERVER_AUTH_INFO *info) {
  MYSQL_PLUGIN_VIO_INFO vio_info;
  vio->info(vio, &vio_info);
  awsiam_login login;
  awsiam_login_init(&login, info, vio_info);

  /* Before the token is asked for: the first read_packet is what makes the
     server switch the client to mysql_clear_password, and the client then
     sends its token, in clear on a plain connection. */
  if (awsiam_transport_check(&login) != AWSIAM_ALLOW) return CR_ERROR;

  unsigned char *packet = nullptr;
  const int packet_len = vio->read_packet(vio, &packet);
  info->password_used = PASSWORD_USED_YES;
  login.token = packet_len >= 0 ? packet : nullptr;
  login.token_len = packet_len >= 0 ? static_cast<size_t>(packet_len) : 0;

  char mapped[AWSIAM_MAPPED_BUF];
  const int verdict =
      awsiam_authenticate(&login, info->external_user,
                          sizeof(info->external_user), mapped, sizeof(mapped));
  if (verdict != AWSIAM_ALLOW) return CR_ERROR;
  awsiam_adopt_mapped_account(info, mapped);
  return CR_OK;
}

static struct st_mysql_auth awsiam_auth_handler = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    "mysql_clear_password", /* the token travels as a cleartext password */
    awsiam_authenticate_user, awsiam_generate_auth_string,
    awsiam_validate_auth_string, awsiam_set_salt,
    /* Only a user who may manage accounts changes an auth_awsiam account's
       authentication: its own user cannot, even with ALTER USER USER(). */
    AUTH_FLAG_PRIVILEGED_USER_FOR_PASSWORD_CHANGE, nullptr};

/* ---- System variables ----------------------------------------------------
   Declared with the names, help, defaults and ranges of the core's table
   (core/src/sysvar.rs; core/tests/sysvars.rs holds these declarations to it).
 */

static char *sts_endpoint;
static char *region;
static char *allowed_accounts;
static char *server_id;
static char *allowed_partitions;
static char *jwt_issuers;
static char *jwt_audience;
static unsigned int token_max_age;
static unsigned int sts_connect_timeout;
static unsigned int sts_timeout;
static bool require_secure_transport;
static unsigned int cache_ttl;
static unsigned int cache_size;
static unsigned int log_verbosity;

static MYSQL_SYSVAR_STR(
    sts_endpoint, sts_endpoint, PLUGIN_VAR_RQCMDARG,
    "STS endpoint URL (https://host[:port], or http:// on loopback) whose host "
    "tokens may name, besides the official STS hosts. Empty: official hosts "
    "only.",
    awsiam_check_str_of<AWSIAM_STS_ENDPOINT>,
    awsiam_update_str_of<AWSIAM_STS_ENDPOINT>, "");

static MYSQL_SYSVAR_STR(
    region, region, PLUGIN_VAR_RQCMDARG,
    "AWS region of the configured STS endpoint and of the server's own "
    "identity lookup. Empty: from the server's AWS configuration, else "
    "us-east-1.",
    awsiam_check_str_of<AWSIAM_REGION>, awsiam_update_str_of<AWSIAM_REGION>,
    "");

static MYSQL_SYSVAR_STR(
    allowed_accounts, allowed_accounts, PLUGIN_VAR_RQCMDARG,
    "Comma-separated 12-digit AWS account IDs whose principals may log in. "
    "Empty: the server's own account.",
    awsiam_check_str_of<AWSIAM_ALLOWED_ACCOUNTS>,
    awsiam_update_str_of<AWSIAM_ALLOWED_ACCOUNTS>, "");

static MYSQL_SYSVAR_STR(
    server_id, server_id, PLUGIN_VAR_RQCMDARG,
    "Audience value every token must be signed for (header "
    "x-auth-awsiam-server-id), so a token for one server cannot be used on "
    "another. Empty: not required.",
    awsiam_check_str_of<AWSIAM_SERVER_ID>,
    awsiam_update_str_of<AWSIAM_SERVER_ID>, "");

static MYSQL_SYSVAR_STR(
    allowed_partitions, allowed_partitions, PLUGIN_VAR_RQCMDARG,
    "Comma-separated AWS partitions (aws, aws-cn, aws-us-gov, aws-iso*) whose "
    "principals may log in. Empty: the server's own partition, that of its "
    "region.",
    awsiam_check_str_of<AWSIAM_ALLOWED_PARTITIONS>,
    awsiam_update_str_of<AWSIAM_ALLOWED_PARTITIONS>, "");

static MYSQL_SYSVAR_UINT(token_max_age, token_max_age, PLUGIN_VAR_RQCMDARG,
                         "Seconds a token stays valid after it was signed.",
                         awsiam_check_uint_of<AWSIAM_TOKEN_MAX_AGE>,
                         awsiam_update_uint_of<AWSIAM_TOKEN_MAX_AGE>, 900, 1,
                         900, 0);

static MYSQL_SYSVAR_UINT(sts_connect_timeout, sts_connect_timeout,
                         PLUGIN_VAR_RQCMDARG,
                         "Seconds to wait for a connection to STS.",
                         awsiam_check_uint_of<AWSIAM_STS_CONNECT_TIMEOUT>,
                         awsiam_update_uint_of<AWSIAM_STS_CONNECT_TIMEOUT>, 2,
                         1, 60, 0);

static MYSQL_SYSVAR_UINT(sts_timeout, sts_timeout, PLUGIN_VAR_RQCMDARG,
                         "Seconds one STS request may take in all.",
                         awsiam_check_uint_of<AWSIAM_STS_TIMEOUT>,
                         awsiam_update_uint_of<AWSIAM_STS_TIMEOUT>, 5, 1, 300,
                         0);

static MYSQL_SYSVAR_BOOL(
    require_secure_transport, require_secure_transport, PLUGIN_VAR_RQCMDARG,
    "Refuse tokens sent over a connection that is neither TLS nor local.",
    awsiam_check_bool_of<AWSIAM_REQUIRE_SECURE_TRANSPORT>,
    awsiam_update_bool_of<AWSIAM_REQUIRE_SECURE_TRANSPORT>, true);

static MYSQL_SYSVAR_UINT(
    cache_ttl, cache_ttl, PLUGIN_VAR_RQCMDARG,
    "Seconds a verified token is remembered, so that reusing it skips STS. "
    "0 disables the cache.",
    awsiam_check_uint_of<AWSIAM_CACHE_TTL>,
    awsiam_update_uint_of<AWSIAM_CACHE_TTL>, 60, 0, 900, 0);

static MYSQL_SYSVAR_UINT(cache_size, cache_size, PLUGIN_VAR_RQCMDARG,
                         "Most verified tokens remembered at once.",
                         awsiam_check_uint_of<AWSIAM_CACHE_SIZE>,
                         awsiam_update_uint_of<AWSIAM_CACHE_SIZE>, 10000, 0,
                         1000000, 0);

static MYSQL_SYSVAR_UINT(
    log_verbosity, log_verbosity, PLUGIN_VAR_RQCMDARG,
    "What goes to the error log: 1 errors, 2 also refused logins, 3 also "
    "successful logins.",
    awsiam_check_uint_of<AWSIAM_LOG_VERBOSITY>,
    awsiam_update_uint_of<AWSIAM_LOG_VERBOSITY>, 2, 1, 3, 0);

static MYSQL_SYSVAR_STR(
    jwt_issuers, jwt_issuers, PLUGIN_VAR_RQCMDARG,
    "Comma-separated issuer URLs of AWS-signed JWTs (sts:GetWebIdentityToken) "
    "accepted as passwords: the account's issuer from aws iam "
    "get-outbound-web-identity-federation-info, or an http:// loopback test "
    "issuer. Empty: no JWT login.",
    awsiam_check_str_of<AWSIAM_JWT_ISSUERS>,
    awsiam_update_str_of<AWSIAM_JWT_ISSUERS>, "");

static MYSQL_SYSVAR_STR(
    jwt_audience, jwt_audience, PLUGIN_VAR_RQCMDARG,
    "The audience a JWT must be issued for (aws sts get-web-identity-token "
    "--audience), so a token for one server cannot be used on another. "
    "Empty: every JWT is refused.",
    awsiam_check_str_of<AWSIAM_JWT_AUDIENCE>,
    awsiam_update_str_of<AWSIAM_JWT_AUDIENCE>, "");

static SYS_VAR *awsiam_system_variables[] = {
    MYSQL_SYSVAR(sts_endpoint),
    MYSQL_SYSVAR(region),
    MYSQL_SYSVAR(allowed_accounts),
    MYSQL_SYSVAR(server_id),
    MYSQL_SYSVAR(token_max_age),
    MYSQL_SYSVAR(sts_connect_timeout),
    MYSQL_SYSVAR(sts_timeout),
    MYSQL_SYSVAR(require_secure_transport),
    MYSQL_SYSVAR(cache_ttl),
    MYSQL_SYSVAR(cache_size),
    MYSQL_SYSVAR(log_verbosity),
    MYSQL_SYSVAR(allowed_partitions),
    MYSQL_SYSVAR(jwt_issuers),
    MYSQL_SYSVAR(jwt_audience),
    nullptr};

/* ---- Status variables ---------------------------------------------------- */

static int show_server_account(MYSQL_THD, SHOW_VAR *var, char *buf) {
  awsiam_server_account(buf, SHOW_VAR_FUNC_BUFF_SIZE);
  var->type = SHOW_CHAR;
  var->value = buf;
  return 0;
}

#define AWSIAM_COUNTER(name, field)                                       \
  {                                                                       \
    "Auth_awsiam_" name,                                                  \
        reinterpret_cast<char *>(                                         \
            const_cast<unsigned long long *>(&awsiam_counters()->field)), \
        SHOW_LONGLONG, SHOW_SCOPE_GLOBAL                                  \
  }

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
    AWSIAM_COUNTER("jwt_verified", jwt_verified),
    AWSIAM_COUNTER("jwt_key_fetches", jwt_key_fetches),
    AWSIAM_COUNTER("jwt_key_fetch_errors", jwt_key_fetch_errors),
    {"Auth_awsiam_server_account",
     reinterpret_cast<char *>(&show_server_account), SHOW_FUNC,
     SHOW_SCOPE_GLOBAL},
    {nullptr, nullptr, SHOW_UNDEF, SHOW_SCOPE_UNDEF}};

/* ---- Plugin life cycle -----------------------------------------------------
 */

static int awsiam_plugin_init(MYSQL_PLUGIN plugin) {
  if (!awsiam_admin_privilege_register(plugin)) return 1;
  awsiam_set_log_handle(plugin);
  if (awsiam_init(awsiam_log_sink) != 0) {
    awsiam_set_log_handle(nullptr);
    awsiam_admin_privilege_unregister();
    return 1;
  }
  /* Values from the command line or my.cnf were not seen by the check
     functions. */
  const awsiam_start_value values[] = {
      {AWSIAM_STS_ENDPOINT, &sts_endpoint, nullptr, nullptr},
      {AWSIAM_REGION, &region, nullptr, nullptr},
      {AWSIAM_ALLOWED_ACCOUNTS, &allowed_accounts, nullptr, nullptr},
      {AWSIAM_SERVER_ID, &server_id, nullptr, nullptr},
      {AWSIAM_ALLOWED_PARTITIONS, &allowed_partitions, nullptr, nullptr},
      {AWSIAM_JWT_ISSUERS, &jwt_issuers, nullptr, nullptr},
      {AWSIAM_JWT_AUDIENCE, &jwt_audience, nullptr, nullptr},
      {AWSIAM_TOKEN_MAX_AGE, nullptr, &token_max_age, nullptr},
      {AWSIAM_STS_CONNECT_TIMEOUT, nullptr, &sts_connect_timeout, nullptr},
      {AWSIAM_STS_TIMEOUT, nullptr, &sts_timeout, nullptr},
      {AWSIAM_REQUIRE_SECURE_TRANSPORT, nullptr, nullptr,
       &require_secure_transport},
      {AWSIAM_CACHE_TTL, nullptr, &cache_ttl, nullptr},
      {AWSIAM_CACHE_SIZE, nullptr, &cache_size, nullptr},
      {AWSIAM_LOG_VERBOSITY, nullptr, &log_verbosity, nullptr},
  };
  if (!awsiam_apply_start_values(plugin, values,
                                 sizeof(values) / sizeof(values[0]))) {
    awsiam_deinit();
    awsiam_set_log_handle(nullptr);
    awsiam_admin_privilege_unregister();
    return 1;
  }
  awsiam_start();
  return 0;
}

static int awsiam_plugin_deinit(MYSQL_PLUGIN) {
  awsiam_deinit();
  awsiam_set_log_handle(nullptr);
  awsiam_admin_privilege_unregister();
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
