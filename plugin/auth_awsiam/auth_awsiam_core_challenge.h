/* The C ABI of the Rust core for the server plugin auth_awsiam_challenge (crate
   auth_awsiam_core, module ffi/challenge.rs; the shared part is
   auth_awsiam_core.h).

   Same rules: safe from any thread, never unwinds into the caller, takes no
   ownership of the caller's memory. Held item by item to the Rust declarations
   by core/tests/header.rs, like auth_awsiam_core.h. */
#ifndef AUTH_AWSIAM_CORE_CHALLENGE_H
#define AUTH_AWSIAM_CORE_CHALLENGE_H

#include <stddef.h>

#include "auth_awsiam_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returned instead of a verdict while the auth_awsiam plugin, which holds the
   settings and the log sink, is not running; nothing was logged. */
#define AWSIAM_UNAVAILABLE 2

/* Longest challenge message. */
#define AWSIAM_CHALLENGE_MAX_LEN 1024

/* One challenge, kept by the shim between awsiam_challenge_issue and
   awsiam_challenge_verify. */
struct awsiam_challenge {
  unsigned char
      message[AWSIAM_CHALLENGE_MAX_LEN]; /* what to send to the client */
  size_t message_len;
  unsigned long long issued_us; /* the core's monotonic clock when issued */
};

/* What the shim knows of the client's connection. */
struct awsiam_connection {
  int socket; /* the connection's TCP socket (for the address the client
                 reached), or -1 */
  int tls;    /* 1 when the connection is TLS */
  const unsigned char
      *tls_certificate; /* this server's certificate (DER) on the TLS
                           connection; NULL if it could not be read */
  size_t tls_certificate_len;
};

/* Counters behind the Auth_awsiam_challenge_* status variables (refusal reasons
   are counted in struct awsiam_counters, with auth_awsiam's). */
struct awsiam_challenge_counters {
  unsigned long long issued;
  unsigned long long successes;
  unsigned long long failures;
};

/* Plugin start: fresh counters (its settings are auth_awsiam's: enum
   awsiam_setting). 0 on success; non-zero while auth_awsiam is not running. */
int awsiam_challenge_init(void);

/* Before anything is sent: checks the transport and fills challenge.
   AWSIAM_ALLOW: send challenge->message. AWSIAM_DENY: refused, logged and
   counted. AWSIAM_UNAVAILABLE: see above. login->token is ignored. */
int awsiam_challenge_issue(const struct awsiam_login *login,
                           struct awsiam_challenge *challenge);

/* Decides the answer (login->token, NULL if none came) to challenge, on
   connection. On AWSIAM_ALLOW writes the caller's ARN into external_user and,
   as awsiam_authenticate does, the account a mapping rule maps the caller to
   into mapped_account ('' if none). Logs and counts the outcome, except for
   AWSIAM_UNAVAILABLE. */
int awsiam_challenge_verify(const struct awsiam_login *login,
                            const struct awsiam_challenge *challenge,
                            const struct awsiam_connection *connection,
                            char *external_user, size_t external_user_cap,
                            char *mapped_account, size_t mapped_account_cap);

const struct awsiam_challenge_counters *awsiam_challenge_counters(void);

#ifdef __cplusplus
}
#endif

#endif /* AUTH_AWSIAM_CORE_CHALLENGE_H */
