#!/usr/bin/env python3
"""The connector packages' cost per token and per challenge answer in the application's
process, credentials cached (issue 22's target: under 1 ms), against what an application
without them runs for each new connection: the auth_awsiam_token subprocess. Both are
measured here, in the same run, with the credentials the caller's environment gives (the
benchmark gives static keys: no STS call on either side). tools/inside/bench.sh runs it.

Usage: package_timing.py COUNT TOKEN_TOOL NAME=COMMAND...

Each COMMAND (split like a shell would) is a package's timing program (clients/*/timing*),
run with COUNT appended; it prints token_us=MEDIAN and, where the package answers
challenges, answer_us=MEDIAN. The token tool is run COUNT times (at most 100: it is
slow), after one run not counted, with the median kept too. Prints a table, then
`bench: NAME=VALUE` lines. Exit status 1 when a program fails or prints no figures."""

import shlex
import statistics
import subprocess
import sys
import time

TOOL_RUNS_MAX = 100


def tool_us(count, tool):
    args = [tool, "--region", "us-east-1"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(min(count, TOOL_RUNS_MAX)):
        start = time.perf_counter_ns()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def figures(name, command, count):
    out = subprocess.run(shlex.split(command) + [str(count)], check=True, capture_output=True,
                         text=True).stdout
    found = dict(line.split("=", 1) for line in out.split() if "=" in line)
    if "token_us" not in found:
        sys.exit(f"package_timing: {name} printed no token_us: {out!r}")
    return {k: float(v) for k, v in found.items()}


def main():
    count, tool, packages = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    subprocess_us = tool_us(count, tool)
    print(f"\nIn the application's process, credentials cached (median of {count}), "
          f"against the auth_awsiam_token subprocess")
    print(f"{'':<30}{'token us':>10}{'vs tool':>10}{'answer us':>11}")
    print(f"{'auth_awsiam_token subprocess':<30}{subprocess_us:>10.0f}{1:>10.3f}{'-':>11}")
    lines = [f"bench: token_us_subprocess={subprocess_us:.0f}"]
    for package in packages:
        name, command = package.split("=", 1)
        f = figures(name, command, count)
        ratio = f["token_us"] / subprocess_us
        answer = f"{f['answer_us']:.0f}" if "answer_us" in f else "-"
        print(f"{name + ' package':<30}{f['token_us']:>10.0f}{ratio:>10.3f}{answer:>11}")
        lines.append(f"bench: token_us_{name}={f['token_us']:.0f}")
        lines.append(f"bench: token_vs_subprocess_{name}={ratio:.3f}")
        if "answer_us" in f:
            lines.append(f"bench: answer_us_{name}={f['answer_us']:.0f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
