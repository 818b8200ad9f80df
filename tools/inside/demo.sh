#!/usr/bin/env bash
# The sandbox side of tools/demo.sh.
source "$(dirname "$0")/common.sh"

STATE=/var/lib/auth_awsiam-demo
PORT=3310
ROLE=AppRole

mysql_as_root() { mysql --no-defaults --socket="$STATE/mysqld.sock" --user=root "$@"; }
# What any AWS workload does: credentials for a role (here LocalStack's
# AssumeRole, through auth_awsiam_token --assume-role), then a token in an
# option file, and the mysql client over TCP (TLS is on by default).
mysql_as_role() {
  mint_option_file "$ROLE" "$STATE/token.cnf"
  mysql --defaults-file="$STATE/token.cnf" --protocol=TCP --host=127.0.0.1 --port=$PORT "$@"
}

# The same service with the client plugin auth_awsiam_client (auth_awsiam_challenge):
# no token step. The plugin finds credentials like the AWS CLI: a profile assuming the role.
# It answers only a server that proved who it is: here mysqld's own certificate, which the
# client verifies against the CA mysqld generated in its data directory (--ssl-ca). It signs
# for LocalStack's STS because this machine names it (AUTH_AWSIAM_STS_ENDPOINT).
mysql_challenge() {
  printf '[profile base]\naws_access_key_id = 123456789012\naws_secret_access_key = sandbox-placeholder-secret\n[profile %s]\nrole_arn = arn:aws:iam::123456789012:role/%s\nsource_profile = base\n' \
    "$ROLE" "$ROLE" > "$STATE/aws_config"
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE="$STATE/aws_config" AWS_SHARED_CREDENTIALS_FILE=/dev/null \
      AWS_PROFILE="$ROLE" AWS_ENDPOINT_URL_STS="$STS_ENDPOINT" AUTH_AWSIAM_STS_ENDPOINT="$STS_ENDPOINT" \
    mysql --no-defaults --protocol=TCP --host=127.0.0.1 --port=$PORT --user=app \
      --ssl-ca="$STATE/data/ca.pem" "$@"
}

stop() {
  say "Stopping the demo server and LocalStack"
  server_stop "$STATE"
  localstack_stop "$STATE/localstack"
}

start() {
  server_stop "$STATE"; localstack_stop "$STATE/localstack"
  build_plugin
  localstack_start "$STATE/localstack"
  say "Starting mysqld 9.7 with --plugin-load-add=auth_awsiam.so on port $PORT"
  server_start "$STATE" "$PORT"

  say "The DBA's side"
  mysql_as_root --table -v -e "
    SELECT plugin_name, plugin_status, plugin_type, plugin_library
      FROM information_schema.plugins WHERE plugin_name = 'auth_awsiam';
    CREATE USER '$ROLE'@'%' IDENTIFIED WITH auth_awsiam;"

  say "The service's side: mint a token for role $ROLE, log in with it"
  mysql_as_role --table -e "SELECT USER(), CURRENT_USER(), @@external_user;"
  mysql_as_root --table -e "SHOW GLOBAL STATUS LIKE 'Auth_awsiam_s%';"
  echo "(the token went to $STATE/token.cnf, mode $(stat -c %a "$STATE/token.cnf"), not to a command line)"

  say "The challenge login: no token, no password (auth_awsiam_challenge and the client plugin auth_awsiam_client)"
  mysql_as_root -v -e "CREATE USER 'app'@'%' IDENTIFIED WITH auth_awsiam_challenge AS 'arn:aws:iam::123456789012:role/$ROLE';"
  mysql_challenge --table -e "SELECT USER(), CURRENT_USER(), @@external_user;"

  cat <<MSG

The demo server is running: port $PORT, LocalStack STS on $STS_ENDPOINT.
  Log in as $ROLE with a fresh token:   tools/demo.sh connect
  As root, inside the sandbox:          tools/sandbox.sh shell
                                        mysql -uroot --socket=$STATE/mysqld.sock
  Server error log (inside the sandbox): $STATE/mysqld.err
  Stop it all:                          tools/demo.sh stop
MSG
}

connect() {
  [ -f "$STATE/mysqld.pid" ] || { echo "not running: run tools/demo.sh first" >&2; exit 1; }
  if [ -t 0 ]; then mysql_as_role; else mysql_as_role --table -e "SELECT USER(), CURRENT_USER(), @@external_user;"; fi
}

case "${1:-start}" in
  start) start ;;
  connect) connect ;;
  stop) stop ;;
esac
