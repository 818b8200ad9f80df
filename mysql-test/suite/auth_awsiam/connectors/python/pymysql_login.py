"""Python with PyMySQL: a connect function that logs in with a fresh
auth_awsiam token each time, over TLS checked against the server's CA. Give it
to a pool as the function that opens its connections (for example SQLAlchemy's
create_engine("mysql+pymysql://", creator=connect)).

Usage: pymysql_login.py HOST PORT USER CA_FILE
The AWS credentials, region and STS endpoint come from the environment, as for
the AWS CLI (AWS_PROFILE, AWS_REGION, ...): auth_awsiam_token reads them."""

import subprocess
import sys

import pymysql

host, port, user, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def mint_token():
    # Add "--server-id", "ID" if the server sets one.
    return subprocess.run(["auth_awsiam_token", "--format", "token"],
                          check=True, capture_output=True, text=True).stdout.strip()


def connect():
    # PyMySQL answers the server's switch to mysql_clear_password by itself.
    # ssl={"ca": ...} turns TLS on and checks the server's certificate and name.
    return pymysql.connect(host=host, port=port, user=user, password=mint_token(),
                           ssl={"ca": ca_file})


# Two connections open at once, as a pool opens them, each with its own token.
try:
    conns = [connect(), connect()]
except pymysql.err.OperationalError as e:
    print(f"python PyMySQL: refused: {e.args[0]}: {e.args[1]}")
    sys.exit(1)
for i, conn in enumerate(conns, 1):
    with conn.cursor() as cur:
        cur.execute("SELECT USER(), CURRENT_USER(), @@external_user, "
                    "(SELECT variable_value FROM performance_schema.session_status "
                    "WHERE variable_name = 'Ssl_version')")
        print(f"python PyMySQL, connection {i}:", *cur.fetchone())
    conn.close()
