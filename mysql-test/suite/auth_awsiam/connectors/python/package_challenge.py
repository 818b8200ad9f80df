"""Python with the package auth-awsiam (clients/python) and PyMySQL: logins to
an auth_awsiam_challenge account with no password and no token, PyMySQL
answering each connection's challenge in Python (auth_plugin_map), under the
client plugin's rules: the server's certificate verified (ssl={"ca": ...}).

Usage: package_challenge.py HOST PORT USER CA_FILE CONNECTIONS [--unverified]
With --unverified the connection is TLS without checking the certificate: the
package answers nothing, and says why."""

import sys
import threading

import pymysql

from auth_awsiam.pymysql import AUTH_PLUGIN_MAP

host, port, user, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
unverified = sys.argv[6:] == ["--unverified"]
tls = {"ca": ca_file}
if unverified:
    tls = {"verify_mode": "none"}
rows = []


def open_one():
    try:
        conn = pymysql.connect(host=host, port=port, user=user, ssl=tls,
                               auth_plugin_map=AUTH_PLUGIN_MAP)
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


# A pool filling up: all its connections open at once, from as many threads.
threads = [threading.Thread(target=open_one) for _ in range(int(sys.argv[5]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for row in sorted(rows):
    print("python auth-awsiam package:", row)
