/* The C ABI of the Rust side of the client plugin auth_awsiam_client (crate
   auth_awsiam_client_core, module ffi.rs).

   Safe from any thread, never unwinds into the client program, takes no
   ownership of the caller's memory. Messages are NUL-terminated UTF-8, cut to
   fit. Held item by item to the Rust declarations by client/tests/header.rs. */
#ifndef AUTH_AWSIAM_CLIENT_CORE_H
#define AUTH_AWSIAM_CLIENT_CORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest answer (an encoded, signed request, or a JWT of up to 16 KiB). */
#define AWSIAM_CLIENT_MAX_ANSWER_LEN 21861

/* mysql_plugin_options(): "profile", "region", "sts-endpoint", "audience" or
   "trusted-servers"; a NULL value clears the option. 0 on success; otherwise
   the reason in err and non-zero. */
int awsiam_client_option(const char *name, const char *value, char *err,
                         size_t err_cap);

/* The server the client dialed and how it reached it, from the connection
 * handle. */
struct awsiam_client_connection {
  const char *host; /* as dialed; NULL if unknown */
  unsigned int port;
  int local_socket; /* 1 over a Unix socket, named pipe or shared memory */
  int tls;          /* 1 when the connection is TLS */
  int tls_verified; /* 1 when the client library verified the server certificate
                       (ssl-mode VERIFY_CA or VERIFY_IDENTITY) */
  const unsigned char *tls_certificate; /* the server certificate (DER) the TLS
                                           handshake showed; NULL if none */
  size_t tls_certificate_len;
};

/* Answers the server's challenge, if the server may be answered (verified TLS,
   a local socket, or a server the user listed). On success returns 0 with the
   answer in answer (answer_len bytes, not NUL-terminated); otherwise non-zero
   with a message for the user in err, and nothing was signed. */
int awsiam_client_answer(const unsigned char *challenge, size_t challenge_len,
                         const struct awsiam_client_connection *connection,
                         unsigned char *answer, size_t answer_cap,
                         size_t *answer_len, char *err, size_t err_cap);

/* Plugin unload: forgets the options. */
void awsiam_client_deinit(void);

#ifdef __cplusplus
}
#endif

#endif /* AUTH_AWSIAM_CLIENT_CORE_H */
