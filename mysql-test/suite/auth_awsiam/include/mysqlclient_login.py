"""A program of one's own using libmysqlclient (Python's mysqlclient, MySQLdb):
it connects as an auth_awsiam_challenge user with no password, like a
connection pool opening new connections, over TLS with the server certificate
verified against the CA file of $AWSIAM_TEST_CA (the client plugin answers no
server over TCP otherwise), and prints who it is. The client library loads
auth_awsiam_client from its plugin directory by itself.

With --at-once, the first connection is opened alone and the others at the same time,
one per thread, as a pool fills (mysqlclient lets other threads run while libmysqlclient
connects). The first goes alone because libmysqlclient (8.4 and 9.7 alike) finds a client
plugin and loads it in two steps: threads that need auth_awsiam_client for the first time
at the same instant can fail with "cannot be loaded: it is already loaded".

Usage: mysqlclient_login.py PORT USER [CONNECTIONS [--at-once]]"""

import os
import sys
import threading

import MySQLdb

port, user = int(sys.argv[1]), sys.argv[2]
connections = int(sys.argv[3]) if len(sys.argv) > 3 else 1
at_once = sys.argv[4:] == ["--at-once"]


def login(start=None):
    if start:
        start.wait()
    try:
        conn = MySQLdb.connect(host="127.0.0.1", port=port, user=user,
                               ssl_mode="VERIFY_CA", ssl={"ca": os.environ["AWSIAM_TEST_CA"]})
    except MySQLdb.OperationalError as e:
        return f"refused: {e.args[0]}: {e.args[1]}"
    cur = conn.cursor()
    cur.execute("SELECT USER(), CURRENT_USER(), @@external_user")
    row = "\t".join(cur.fetchone())
    conn.close()
    return row


if at_once:
    rows = [login()] + [None] * (connections - 1)
    start = threading.Barrier(connections - 1)

    def run(i):
        rows[i] = login(start)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(1, connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for row in sorted(rows):
        print(row)
else:
    for _ in range(connections):
        print(login())
