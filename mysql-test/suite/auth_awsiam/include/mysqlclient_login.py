"""A program of one's own using libmysqlclient (Python's mysqlclient, MySQLdb):
it connects as an auth_awsiam_challenge user with no password, like a
connection pool opening new connections, over TLS with the server certificate
verified against the CA file of $AWSIAM_TEST_CA (the client plugin answers no
server over TCP otherwise), and prints who it is. The client library loads
auth_awsiam_client from its plugin directory by itself.

Usage: mysqlclient_login.py PORT USER [CONNECTIONS]"""

import os
import sys

import MySQLdb

port, user = int(sys.argv[1]), sys.argv[2]
connections = int(sys.argv[3]) if len(sys.argv) > 3 else 1
for _ in range(connections):
    try:
        conn = MySQLdb.connect(host="127.0.0.1", port=port, user=user,
                               ssl_mode="VERIFY_CA", ssl={"ca": os.environ["AWSIAM_TEST_CA"]})
    except MySQLdb.OperationalError as e:
        print(f"refused: {e.args[0]}: {e.args[1]}")
        continue
    cur = conn.cursor()
    cur.execute("SELECT USER(), CURRENT_USER(), @@external_user")
    print("\t".join(cur.fetchone()))
    conn.close()
