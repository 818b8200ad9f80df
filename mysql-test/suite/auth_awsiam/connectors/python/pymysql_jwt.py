"""Python with PyMySQL, logging in with a JWT that AWS signs (IAM outbound
identity federation): a connect function that asks AWS STS for a fresh token
for this server's audience with boto3 (GetWebIdentityToken) and sends it as
the password, over TLS checked against the server's CA. Give it to a pool as
the function that opens its connections (for example SQLAlchemy's
create_engine("mysql+pymysql://", creator=connect)). No program of this
project is needed on the application's machine.

Usage: pymysql_jwt.py HOST PORT USER CA_FILE AUDIENCE
The AWS credentials, region and STS endpoint come from the environment, as for
the AWS CLI (AWS_PROFILE, AWS_DEFAULT_REGION, ...): boto3 reads them. boto3 1.42.72 or
later has get_web_identity_token."""

import sys

import boto3
import pymysql

host, port, user, ca_file, audience = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
# One client, made once: it keeps the credentials and its connections to STS.
sts = boto3.client("sts")


def mint_jwt():
    # A token valid for 300 seconds, signed RS256 (ES384 costs the server ten
    # times more to check).
    return sts.get_web_identity_token(Audience=[audience],
                                      SigningAlgorithm="RS256")["WebIdentityToken"]


def connect():
    # PyMySQL answers the server's switch to mysql_clear_password by itself.
    # ssl={"ca": ...} turns TLS on and checks the server's certificate and name.
    return pymysql.connect(host=host, port=port, user=user, password=mint_jwt(),
                           ssl={"ca": ca_file})


# Two connections open at once, as a pool opens them, each with its own token.
try:
    conns = [connect(), connect()]
except pymysql.err.OperationalError as e:
    print(f"python PyMySQL, JWT: refused: {e.args[0]}: {e.args[1]}")
    sys.exit(1)
for i, conn in enumerate(conns, 1):
    with conn.cursor() as cur:
        cur.execute("SELECT USER(), CURRENT_USER(), @@external_user, "
                    "(SELECT variable_value FROM performance_schema.session_status "
                    "WHERE variable_name = 'Ssl_version')")
        print(f"python PyMySQL, JWT, connection {i}:", *cur.fetchone())
    conn.close()
