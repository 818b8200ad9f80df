/* What the two files of the server library share: auth_awsiam.cc declares both
   plugins (one mysql_declare_plugin list) and lends auth_awsiam_challenge.cc its
   transport check, its refusal of passwords and AS '...' validation; auth_awsiam_challenge.cc defines the
   challenge plugin's handler, variables and life cycle. */
#ifndef AUTH_AWSIAM_CHALLENGE_H
#define AUTH_AWSIAM_CHALLENGE_H

#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>

/* Defined in auth_awsiam.cc. */
bool awsiam_connection_is_tls(const MYSQL_PLUGIN_VIO_INFO &vio_info);
bool awsiam_connection_is_secure(const MYSQL_PLUGIN_VIO_INFO &vio_info);
int awsiam_validate_auth_string(char *const inbuf, unsigned int buflen);
int awsiam_generate_auth_string(char *outbuf, unsigned int *outbuflen,
                                const char *inbuf, unsigned int inbuflen);
/* In a check or update function of a setting that decides who may log in: true, with
   the statement's error raised, if the SET statement's user lacks AUTH_AWSIAM_ADMIN. */
bool awsiam_require_admin(MYSQL_THD thd, const char *variable);

/* MySQL's own checks of bool and int variable values (declared in sql/sql_plugin_var.h,
   which a plugin cannot include: it redefines the MYSQL_SYSVAR macros for the server's
   own variables), exported by mysqld 8.4 and 9.x alike. */
int check_func_bool(MYSQL_THD thd, SYS_VAR *var, void *save,
                    st_mysql_value *value);
int check_func_int(MYSQL_THD thd, SYS_VAR *var, void *save,
                   st_mysql_value *value);

/* Defined in auth_awsiam_challenge.cc. */
extern st_mysql_auth awsiam_challenge_handler;
extern SYS_VAR *awsiam_challenge_system_variables[];
extern SHOW_VAR awsiam_challenge_status_variables[];
int awsiam_challenge_plugin_init(MYSQL_PLUGIN plugin);
int awsiam_challenge_plugin_deinit(MYSQL_PLUGIN plugin);

#endif /* AUTH_AWSIAM_CHALLENGE_H */
