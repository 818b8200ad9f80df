#!/usr/bin/env bash
# In a bare chroot of a server line (tools/package_check.sh made it and put the line's
# Debian packages into DEB_OUT_DIR): what a DBA does with the packages, checked step by
# step. apt-get installs them, and with them the exact server they depend on and its
# client; a new mysqld starts with nothing of ours loaded; the plugin is installed from SQL
# as README.Debian says; then logins against LocalStack's STS: with a token minted by the
# packaged auth_awsiam_token, by the challenge answered by the packaged client plugin, and
# a wrong token refused.
set -euo pipefail
# shellcheck source=../pins.sh
source "$(dirname "$0")/../pins.sh"
say() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
STS_ENDPOINT=http://127.0.0.1:${LOCALSTACK_PORT:?}
state=/tmp/auth_awsiam-package
sock=$state/mysqld.sock

say "apt-get install the packages ($(cd "$DEB_OUT_DIR" && echo *.deb)) and mysql-client-core"
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB_OUT_DIR"/*.deb mysql-client-core \
     >/tmp/apt.log 2>&1; then
  tail -n 30 /tmp/apt.log >&2; exit 1
fi
dpkg-query -W auth-awsiam-server auth-awsiam-client mysql-server-core mysql-client-core
for f in "$PLUGIN_DIR/auth_awsiam.so" "$PLUGIN_DIR/auth_awsiam_client.so" \
         /usr/bin/auth_awsiam_token /usr/bin/auth_awsiam_proxy; do
  dpkg -S "$f"
done
auth_awsiam_proxy --version

say "A new mysqld, with nothing of auth_awsiam loaded"
stop_server() { [ ! -f "$state/mysqld.pid" ] || kill "$(cat "$state/mysqld.pid")" 2>/dev/null || true; }
trap stop_server EXIT
rm -rf "$state"; mkdir -p "$state"
mysqld --no-defaults --initialize-insecure --user=root --datadir="$state/data" --log-error="$state/mysqld.err"
# The plugin's settings given at start with loose- (as docs/install.rst shows): they apply
# once the plugin is installed. LocalStack's account is the one allowed.
setsid mysqld --no-defaults --user=root --datadir="$state/data" --socket="$sock" \
  --skip-networking --mysqlx=OFF --secure-file-priv=NULL \
  --log-error="$state/mysqld.err" --pid-file="$state/mysqld.pid" \
  --loose-auth_awsiam_sts_endpoint="$STS_ENDPOINT" --loose-auth_awsiam_region=us-east-1 \
  --loose-auth_awsiam_allowed_accounts=123456789012 </dev/null >/dev/null 2>&1 &
sql() { mysql --no-defaults --socket="$sock" -uroot --batch --skip-column-names -e "$1"; }
for _ in $(seq 60); do
  sql 'SELECT 1' >/dev/null 2>&1 && break
  sleep 1
done
sql 'SELECT 1' >/dev/null || { echo "mysqld did not start:" >&2; tail -n 20 "$state/mysqld.err" >&2; exit 1; }
sql 'SELECT VERSION()'
[ "$(sql "SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name LIKE 'auth_awsiam%'")" = 0 ]

say "INSTALL PLUGIN, as README.Debian says; the accounts"
sql "INSTALL PLUGIN auth_awsiam SONAME 'auth_awsiam.so';
     INSTALL PLUGIN auth_awsiam_challenge SONAME 'auth_awsiam.so';
     CREATE USER AppRole IDENTIFIED WITH auth_awsiam;
     CREATE USER ServiceRole IDENTIFIED WITH auth_awsiam_challenge"
sql "SELECT plugin_name, plugin_status, plugin_library FROM information_schema.plugins
     WHERE plugin_name LIKE 'auth_awsiam%' ORDER BY plugin_name"

# The client side: base credentials of LocalStack's account and a profile per role (assumed
# through the same STS), a client machine's AWS configuration; nothing of the server's.
cat >"$state/aws_config" <<EOF_AWS
[profile base]
aws_access_key_id = 123456789012
aws_secret_access_key = package-check-placeholder-secret

[profile AppRole]
role_arn = arn:aws:iam::123456789012:role/AppRole
source_profile = base
role_session_name = package-check

[profile ServiceRole]
role_arn = arn:aws:iam::123456789012:role/ServiceRole
source_profile = base
role_session_name = package-check
EOF_AWS
client_env=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE="$state/aws_config"
            AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
            AUTH_AWSIAM_STS_ENDPOINT="$STS_ENDPOINT" AWS_ENDPOINT_URL_STS="$STS_ENDPOINT" AWS_REGION=us-east-1)
# expect_user WHO CMD...: CMD (a mysql client printing CURRENT_USER()) logs in as WHO.
expect_user() {
  local want=$1 got; shift
  got=$("$@" --batch --skip-column-names -e 'SELECT CURRENT_USER()' 2>&1) || true
  [ "$got" = "$want" ] || { echo "expected $want, got: $got" >&2; tail -n 5 "$state/mysqld.err" >&2; exit 1; }
  echo "logged in as $got"
}

say "A login with a token from the packaged auth_awsiam_token"
"${client_env[@]}" AWS_PROFILE=AppRole auth_awsiam_token --endpoint "$STS_ENDPOINT" --region us-east-1 \
  --format option-file --user AppRole --output "$state/token.cnf"
expect_user 'AppRole@%' mysql --defaults-file="$state/token.cnf" --socket="$sock"

say "A login by the challenge, answered by the packaged client plugin (no token step)"
expect_user 'ServiceRole@%' "${client_env[@]}" AWS_PROFILE=ServiceRole mysql --no-defaults \
  --socket="$sock" --user=ServiceRole

say "A token of another role is refused"
"${client_env[@]}" AWS_PROFILE=ServiceRole auth_awsiam_token --endpoint "$STS_ENDPOINT" --region us-east-1 \
  --format option-file --user AppRole --output "$state/wrong.cnf"
got=$(mysql --defaults-file="$state/wrong.cnf" --socket="$sock" -e 'SELECT 1' 2>&1) && {
  echo "a token of ServiceRole logged in as AppRole" >&2; exit 1; }
echo "$got"
[[ "$got" == *"ERROR 1045"* ]]

echo "packages MySQL $(sql 'SELECT VERSION()' | cut -d- -f1): installed by apt-get in a bare chroot, INSTALL PLUGIN, logins with a token and by the challenge, a wrong token refused"
