/* The C ABI of the Rust core (crate auth_awsiam_core, module ffi.rs).

   The C++ shim calls only what is declared here. Every function is safe to call
   from any thread, never unwinds into the caller, and takes no ownership of the
   caller's memory. Strings passed in are NUL-terminated UTF-8 unless a length
   is given.

   Written by hand for readers; core/tests/header.rs holds every item to the
   Rust declarations (core/src/abi.rs, config.rs, metrics.rs, ffi.rs and ffi/):
   enum values, struct fields (names, C types, order), #defines and function
   prototypes must match, or the test fails. */
#ifndef AUTH_AWSIAM_CORE_H
#define AUTH_AWSIAM_CORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result of awsiam_authenticate. */
enum awsiam_verdict { AWSIAM_ALLOW = 0, AWSIAM_DENY = 1 };

/* Severity of a message the core asks the shim to write to the server error
 * log. */
enum awsiam_log_level {
  AWSIAM_LOG_ERROR = 0,
  AWSIAM_LOG_WARNING = 1,
  AWSIAM_LOG_INFO = 2
};
typedef void (*awsiam_log_fn)(int level, const char *message);

/* One id per system variable of both plugins (core/src/sysvar.rs has each one's
   name, type, default, range, help and privilege). */
enum awsiam_setting {
  AWSIAM_STS_ENDPOINT = 0, /* string: '' or scheme://host[:port] */
  AWSIAM_REGION = 1,       /* string: '' or an AWS region name */
  AWSIAM_ALLOWED_ACCOUNTS =
      2, /* string: '' or 12-digit account IDs, comma separated */
  AWSIAM_SERVER_ID = 3, /* string: '' or the audience value clients must sign */
  AWSIAM_TOKEN_MAX_AGE = 4,            /* number: seconds */
  AWSIAM_STS_CONNECT_TIMEOUT = 5,      /* number: seconds */
  AWSIAM_STS_TIMEOUT = 6,              /* number: seconds */
  AWSIAM_REQUIRE_SECURE_TRANSPORT = 7, /* number: 0 or 1 */
  AWSIAM_CACHE_TTL = 8,  /* number: seconds, 0 disables the cache */
  AWSIAM_CACHE_SIZE = 9, /* number: entries */
  AWSIAM_LOG_VERBOSITY =
      10, /* number: 1 errors, 2 and refusals, 3 and successes */
  AWSIAM_ALLOWED_PARTITIONS =
      11, /* string: '' or AWS partitions, comma separated */
  AWSIAM_CHALLENGE_AUDIENCES =
      12, /* string: '', '*' or host[:port] names, comma separated */
  AWSIAM_CHALLENGE_TIMEOUT = 13, /* number: seconds the answer is awaited */
  AWSIAM_CHALLENGE_CHANNEL_BINDING =
      14, /* number: 1 an answer over TLS must be bound to it */
  AWSIAM_JWT_ISSUERS = 15, /* string: '' or issuer URLs, comma separated */
  AWSIAM_JWT_AUDIENCE = 16, /* string: '' or the audience JWTs must name */
  AWSIAM_CHALLENGE_ANSWERS =
      17 /* string: kinds of answer offered, preferred first: sigv4, jwt */
};

/* What the server knows about one login attempt. */
struct awsiam_login {
  const char
      *user; /* user name of the matched MySQL account ('' if anonymous) */
  size_t user_len;
  /* the user name the client sent; NULL: the same as user. It differs from user
     only through an anonymous account, and is only logged (the account
     decides). */
  const char *client_user;
  size_t client_user_len;
  const char *host; /* client host or IP, for the log line */
  size_t host_len;
  const char *auth_string; /* the account's AS '...' string, may be empty */
  size_t auth_string_len;
  const unsigned char
      *token; /* the packet the client sent; NULL if it sent none */
  size_t token_len;
  int secure_transport; /* 1 over TLS or a local socket */
};

/* Counters behind the Auth_awsiam_* status variables. Addresses are stable for
   the life of the process; values only grow (they are reset by awsiam_init). */
struct awsiam_counters {
  unsigned long long successes;
  unsigned long long failures;
  unsigned long long failures_no_token;
  unsigned long long failures_token_invalid;
  unsigned long long failures_token_expired;
  unsigned long long failures_server_id;
  unsigned long long failures_insecure_transport;
  unsigned long long failures_sts_unavailable;
  unsigned long long
      failures_sts_throttled; /* STS answered "slow down" (Throttling) */
  unsigned long long
      failures_sts_busy; /* at the cap on concurrent STS requests */
  unsigned long long failures_sts_rejected;
  unsigned long long failures_account_not_allowed;
  unsigned long long failures_principal_mismatch;
  unsigned long long
      failures_no_matching_rule; /* a proxy account's rules: none matched */
  unsigned long long failures_internal;
  unsigned long long sts_requests;
  unsigned long long sts_errors;
  unsigned long long cache_hits;
  unsigned long long sts_time_us;     /* time spent in STS exchanges, in all */
  unsigned long long sts_connections; /* new connections opened to STS */
  unsigned long long sts_retries; /* second requests after a throttled answer */
  unsigned long long jwt_verified; /* JWTs that passed every check of their own */
  unsigned long long jwt_key_fetches; /* issuers' key sets fetched or tried */
  unsigned long long jwt_key_fetch_errors; /* of those, the ones that failed */
};

/* Plugin start: resets configuration and counters, installs the log sink. 0 on
 * success. */
int awsiam_init(awsiam_log_fn log);
/* After all settings are applied: begins learning the server's own AWS account
   in the background. */
void awsiam_start(void);
/* Plugin stop: waits for background work to end (bounded by the STS timeouts,
   and a name lookup in progress by the system resolver's own timeout). */
void awsiam_deinit(void);

/* Validates a string setting without applying it. 0 if valid; otherwise writes
   a NUL-terminated reason into err (at most err_cap bytes) and returns
   non-zero. */
int awsiam_setting_check(int setting, const char *value, char *err,
                         size_t err_cap);
/* Validates and applies a string setting (same return convention). A change of
   the STS endpoint or region drops the server's own account and learns it again
   in the background (never waiting for it). */
int awsiam_setting_set_str(int setting, const char *value, char *err,
                           size_t err_cap);
/* Applies a number setting; its range is enforced by the system variable. */
void awsiam_setting_set_num(int setting, unsigned long long value);

/* The name of a setting's system variable (static), or NULL for an unknown
 * setting. */
const char *awsiam_setting_name(int setting);
/* 1 when changing the setting needs AUTH_AWSIAM_ADMIN (it decides who may log
 * in). */
int awsiam_setting_needs_admin(int setting);

/* Checks an AS '...' auth string at CREATE/ALTER USER (same return convention).
 */
int awsiam_auth_string_check(const char *value, size_t len, char *err,
                             size_t err_cap);

/* Longest account name a mapping rule may name (MySQL's user name limit;
 * ASCII). */
#define AWSIAM_MAX_ACCOUNT_NAME_LEN 32

/* Called before the client is asked for its token (reading the first packet is
   what makes the server switch the client to mysql_clear_password, and the
   client then sends the token). Reads login->user, client_user, host and
   secure_transport only. AWSIAM_DENY when the connection must not carry a token
   (auth_awsiam_require_secure_transport and neither TLS nor local): the refusal
   is logged and counted (insecure_transport) like any other. */
int awsiam_transport_check(const struct awsiam_login *login);

/* IDENTIFIED BY / SET PASSWORD on an auth_awsiam account: whether a "password"
   of password_len bytes may be set. creating is 1 inside CREATE USER, where
   IDENTIFIED WITH auth_awsiam without AS also asks, with an empty password.
   Same return convention as awsiam_setting_check (0, or non-zero and the reason
   in err). */
int awsiam_password_check(int creating, size_t password_len, char *err,
                          size_t err_cap);

/* Decides one login. On AWSIAM_ALLOW writes the caller's ARN (NUL-terminated,
   cut to fit) into external_user, and into mapped_account the MySQL account a
   mapping rule (PATTERN => ACCOUNT) maps the caller to, or '' when the login
   stays on its own account. mapped_account must have room for
   AWSIAM_MAX_ACCOUNT_NAME_LEN + 1 bytes, or every login is refused: a name is
   never cut. Writes the refusal to the log itself. */
int awsiam_authenticate(const struct awsiam_login *login, char *external_user,
                        size_t external_user_cap, char *mapped_account,
                        size_t mapped_account_cap);

const struct awsiam_counters *awsiam_counters(void);

/* The server's own AWS account ID as learned at start (and again after the STS
   endpoint or region changed), or '' while it is not known. Returns the length
   written (NUL not counted). */
size_t awsiam_server_account(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* AUTH_AWSIAM_CORE_H */
