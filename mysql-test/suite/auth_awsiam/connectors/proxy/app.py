"""PyMySQL through auth_awsiam_proxy: a user, no password, no plugin.

Run: python3 app.py PORT USER
"""
import sys

import pymysql

conn = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user=sys.argv[2])
with conn.cursor() as cur:
    cur.execute("SELECT CURRENT_USER(), @@external_user")
    user, arn = cur.fetchone()
print(f"PyMySQL: {user} {arn}")
conn.close()
