/* What auth_awsiam.cc needs of auth_awsiam_challenge.cc to declare both plugins
   of the library in one mysql_declare_plugin list: the challenge plugin's
   handler, variables and life cycle. (What both plugins share is in
   auth_awsiam_common.h.) */
#ifndef AUTH_AWSIAM_CHALLENGE_H
#define AUTH_AWSIAM_CHALLENGE_H

#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>

extern st_mysql_auth awsiam_challenge_handler;
extern SYS_VAR *awsiam_challenge_system_variables[];
extern SHOW_VAR awsiam_challenge_status_variables[];
int awsiam_challenge_plugin_init(MYSQL_PLUGIN plugin);
int awsiam_challenge_plugin_deinit(MYSQL_PLUGIN plugin);

#endif /* AUTH_AWSIAM_CHALLENGE_H */
