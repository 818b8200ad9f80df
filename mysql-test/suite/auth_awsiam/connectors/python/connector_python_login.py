"""Python with MySQL Connector/Python (mysql-connector-python): a connect
function that logs in with a fresh auth_awsiam token each time, over TLS
checked against the server's CA. Give it to a pool as the function that opens
its connections (for example SQLAlchemy's
create_engine("mysql+mysqlconnector://", creator=connect)); the connector's
own MySQLConnectionPool opens every connection with the same password.

Usage: connector_python_login.py HOST PORT USER CA_FILE
The AWS credentials, region and STS endpoint come from the environment, as for
the AWS CLI (AWS_PROFILE, AWS_REGION, ...): auth_awsiam_token reads them."""

import subprocess
import sys

import mysql.connector

host, port, user, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def mint_token():
    # Add "--server-id", "ID" if the server sets one.
    return subprocess.run(["auth_awsiam_token", "--format", "token"],
                          check=True, capture_output=True, text=True).stdout.strip()


def connect():
    # auth_plugin names the cleartext plugin; the connector sends it only over TLS.
    return mysql.connector.connect(host=host, port=port, user=user, password=mint_token(),
                                   auth_plugin="mysql_clear_password",
                                   ssl_ca=ca_file, ssl_verify_cert=True,
                                   ssl_verify_identity=True)


# Two connections open at once, as a pool opens them, each with its own token.
try:
    conns = [connect(), connect()]
except mysql.connector.Error as e:
    print(f"python mysql-connector-python: refused: {e}")
    sys.exit(1)
for i, conn in enumerate(conns, 1):
    cur = conn.cursor()
    cur.execute("SELECT USER(), CURRENT_USER(), @@external_user, "
                "(SELECT variable_value FROM performance_schema.session_status "
                "WHERE variable_name = 'Ssl_version')")
    print(f"python mysql-connector-python, connection {i}:", *cur.fetchone())
    cur.close()
    conn.close()
