"""Python with the package auth-awsiam (clients/python, installed with
pip install ./clients/python) and PyMySQL: a pool's connect function that mints
the token in this process (no auth_awsiam_token subprocess) and reuses it within
its life, over TLS checked against the server's CA. Give it to a pool (for
example SQLAlchemy's create_engine("mysql+pymysql://", creator=connect)).

Usage: package_pool.py HOST PORT USER CA_FILE CONNECTIONS
The AWS credentials, region and STS endpoint come from the environment, as for
the AWS CLI (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_STS, ...)."""

import sys
import threading

import pymysql

from auth_awsiam.pymysql import token_creator

host, port, user, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
connect = token_creator(host=host, port=port, user=user, ssl={"ca": ca_file})

# A pool filling up: all its connections open at once, from as many threads.
rows = []


def open_one():
    try:
        conn = connect()
    except pymysql.err.OperationalError as e:
        rows.append(f"refused: {e.args[0]}: {e.args[1]}")
        return
    except Exception as e:  # anything else, shown rather than lost in a thread
        rows.append(f"failed: {type(e).__name__}: {e}")
        return
    with conn.cursor() as cur:
        cur.execute("SELECT USER(), CURRENT_USER(), @@external_user")
        rows.append("\t".join(cur.fetchone()))
    conn.close()


threads = [threading.Thread(target=open_one) for _ in range(int(sys.argv[5]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for row in sorted(rows):
    print("python auth-awsiam package:", row)
