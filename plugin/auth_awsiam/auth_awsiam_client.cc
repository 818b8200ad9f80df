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

  auth_awsiam_client: the client plugin that answers the challenge of the
  server plugin auth_awsiam_challenge with a sts:GetCallerIdentity request
  signed by the user's AWS credentials. libmysqlclient loads it from its
  plugin directory when a server asks for it. This file is only the glue to
  the client library: it tells the Rust side (auth_awsiam_client_core.h) how
  the server was reached, and the Rust side decides whether to answer.
*/

#include <errmsg.h>
#include <my_compiler.h> /* MY_ATTRIBUTE, used by client_plugin.h */
#include <mysql.h>
#include <mysql/client_plugin.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <cstdio>
#include <cstring>

#include "sql_common.h" /* the connection's ssl-mode */
#include "violite.h"    /* the connection's TLS session */

#include "auth_awsiam_client_core.h"

static const char PLUGIN_NAME[] = "auth_awsiam_client";

/* The client program shows the connection's error: make it ours, so that it
   says what to do, instead of "unknown error". */
static void set_error(MYSQL *mysql, const char *message) {
  mysql->net.last_errno = CR_AUTH_PLUGIN_ERR;
  snprintf(mysql->net.last_error, sizeof(mysql->net.last_error),
           "Authentication plugin '%s' reported error: %s", PLUGIN_NAME,
           message);
  snprintf(mysql->net.sqlstate, sizeof(mysql->net.sqlstate), "%s", "HY000");
}

/* The connection's TLS session, or nullptr when it is not TLS. */
static SSL *tls_session(MYSQL *mysql) {
  Vio *net_vio = mysql->net.vio;
  if (net_vio == nullptr || net_vio->type != VIO_TYPE_SSL) return nullptr;
  return static_cast<SSL *>(net_vio->ssl_arg);
}

/* Whether the client library verified the server certificate against the
   user's CA: ssl-mode VERIFY_CA or VERIFY_IDENTITY, and the handshake's own
   verdict. */
static bool tls_verified(MYSQL *mysql, SSL *ssl) {
  /* ssl_mode is a plain integer in the options, the modes an enum: no
     conditional mixing the two (-Werror=extra in maintainer mode). */
  unsigned long mode = SSL_MODE_PREFERRED;
  if (mysql->options.extension != nullptr)
    mode = mysql->options.extension->ssl_mode;
  return mode >= SSL_MODE_VERIFY_CA && SSL_get_verify_result(ssl) == X509_V_OK;
}

/* The server certificate the handshake showed, as DER (OPENSSL_free it), or
   -1. */
static int peer_certificate(SSL *ssl, unsigned char **der) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  X509 *cert = SSL_get1_peer_certificate(ssl);
#else
  X509 *cert = SSL_get_peer_certificate(ssl);
#endif
  if (cert == nullptr) return -1;
  const int len = i2d_X509(cert, der);
  X509_free(cert);
  return len;
}

static int awsiam_client_authenticate(MYSQL_PLUGIN_VIO *vio, MYSQL *mysql) {
  unsigned char *challenge = nullptr;
  const int challenge_len = vio->read_packet(vio, &challenge);
  /* Either the server switches us to this plugin again (we were the client's
     default, and the handshake came from another plugin) or the connection
     failed: the client library handles both. */
  if (challenge_len < 0) return CR_ERROR;

  MYSQL_PLUGIN_VIO_INFO info;
  vio->info(vio, &info);
  awsiam_client_connection connection;
  connection.host = mysql->host;
  connection.port = mysql->port;
  connection.local_socket =
      info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_TCP ? 0 : 1;
  SSL *ssl = tls_session(mysql);
  unsigned char *certificate = nullptr;
  const int certificate_len =
      ssl != nullptr ? peer_certificate(ssl, &certificate) : -1;
  connection.tls = ssl != nullptr ? 1 : 0;
  connection.tls_verified = ssl != nullptr && tls_verified(mysql, ssl) ? 1 : 0;
  connection.tls_certificate = certificate_len > 0 ? certificate : nullptr;
  connection.tls_certificate_len =
      certificate_len > 0 ? static_cast<size_t>(certificate_len) : 0;

  unsigned char answer[AWSIAM_CLIENT_MAX_ANSWER_LEN];
  size_t answer_len = 0;
  char err[400];
  const int failed = awsiam_client_answer(
      challenge, static_cast<size_t>(challenge_len), &connection, answer,
      sizeof(answer), &answer_len, err, sizeof(err));
  OPENSSL_free(certificate);
  if (failed != 0) {
    set_error(mysql, err);
    return CR_ERROR;
  }
  if (vio->write_packet(vio, answer, static_cast<int>(answer_len)) != 0)
    return CR_ERROR;
  return CR_OK;
}

/* mysql_plugin_options(plugin, "profile" | "region" | "sts-endpoint" |
   "audience" | "trusted-servers", const char *value). */
static int awsiam_client_set_option(const char *option, const void *value) {
  char err[400];
  if (awsiam_client_option(option, static_cast<const char *>(value), err,
                           sizeof(err)) == 0)
    return 0;
  /* mysql_plugin_options() has no channel for a message. */
  fprintf(stderr, "%s: %s\n", PLUGIN_NAME, err);
  return 1;
}

static int awsiam_client_deinit_plugin() {
  awsiam_client_deinit();
  return 0;
}

mysql_declare_client_plugin(AUTHENTICATION) PLUGIN_NAME, "auth_awsiam authors",
    "AWS IAM authentication: signs auth_awsiam_challenge's challenge with "
    "the AWS credentials",
    {1, 0, 0}, "GPL", nullptr,
    nullptr, awsiam_client_deinit_plugin, awsiam_client_set_option,
    nullptr, awsiam_client_authenticate, nullptr mysql_end_client_plugin;
