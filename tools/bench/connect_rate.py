#!/usr/bin/env python3
"""Connection rate of auth_awsiam against caching_sha2_password, on one server.

Every scenario opens and closes N connections (connect, SELECT 1, close) from
C threads over the server's Unix socket, and the table gives connections per
second and the ratio to the caching_sha2_password baseline measured in the
same run. Run by tools/bench.sh inside the sandbox.
"""
import argparse
import sys
import threading
import time

import pymysql


def connect_loop(kwargs, count, errors):
    for _ in range(count):
        try:
            conn = pymysql.connect(**kwargs)
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
            conn.close()
        except pymysql.MySQLError as exc:  # counted, and the run is marked bad
            errors.append(str(exc))


def measure(kwargs, total, threads):
    errors = []
    per_thread = total // threads
    workers = [threading.Thread(target=connect_loop, args=(kwargs, per_thread, errors))
               for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    return per_thread * threads, elapsed, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--token-file", required=True, help="file holding one token")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--sts-connections", type=int, default=300,
                    help="connections for the scenario where every login calls STS")
    args = ap.parse_args()
    token = open(args.token_file).read().strip()

    admin = pymysql.connect(unix_socket=args.socket, user="root")
    cur = admin.cursor()

    def set_cache(ttl):
        cur.execute(f"SET GLOBAL auth_awsiam_cache_ttl = {ttl}")

    def status(name):
        cur.execute("SHOW GLOBAL STATUS LIKE %s", (name,))
        return int(cur.fetchone()[1])

    sha2 = dict(unix_socket=args.socket, user="bench_sha2", password="bench-password")
    iam = dict(unix_socket=args.socket, user="AppRole", password=token)

    # Warm-up: fills caching_sha2_password's cache and the token cache.
    measure(sha2, 20, 1)
    set_cache(900)
    measure(iam, 20, 1)

    rows = []
    n, t, err = measure(sha2, args.connections, args.threads)
    rows.append(("caching_sha2_password (baseline)", n, t, err, None))
    base = n / t

    hits = status("Auth_awsiam_cache_hits")
    n, t, err = measure(iam, args.connections, args.threads)
    hits = status("Auth_awsiam_cache_hits") - hits
    rows.append(("auth_awsiam, token reused (cache)", n, t, err, f"{hits} cache hits"))

    set_cache(0)
    calls = status("Auth_awsiam_sts_requests")
    n, t, err = measure(iam, args.sts_connections, args.threads)
    calls = status("Auth_awsiam_sts_requests") - calls
    rows.append(("auth_awsiam, every login asks STS", n, t, err, f"{calls} STS calls (LocalStack)"))
    set_cache(60)

    print(f"\n{args.threads} client threads, Unix socket, connect + SELECT 1 + close\n")
    print(f"{'scenario':<36} {'conns':>6} {'seconds':>8} {'conn/s':>8} {'vs baseline':>11}  note")
    print("-" * 96)
    bad = False
    for name, n, t, err, note in rows:
        rate = n / t
        print(f"{name:<36} {n:>6} {t:>8.2f} {rate:>8.0f} {rate / base:>10.2f}x  {note or ''}")
        if err:
            bad = True
            print(f"    {len(err)} failed connections, first: {err[0]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
