"""What one token and one challenge answer cost in this process, credentials cached (issue
22's target: under 1 ms each), for the benchmark (tools/inside/bench.sh), which prints it
beside the auth_awsiam_token subprocess measured in the same run. Not a test: a time is no
pass or fail.

    python3 clients/python/timing.py COUNT

Credentials and region from the environment (the benchmark gives static keys: no STS call).
The first token loads the credentials and is not counted. Prints `token_us=MEDIAN` and
`answer_us=MEDIAN` over COUNT of each; the answer is to docs/protocol.rst's first test
challenge, over a local socket (so the trust check passes), parse to answer text.
"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from auth_awsiam import challenge, generate_token  # noqa: E402

VECTORS = os.path.join(HERE, "..", "..", "plugin", "auth_awsiam", "core", "testdata",
                       "protocol-vectors.json")


def median_us(count, op):
    times = []
    for _ in range(count):
        start = time.perf_counter_ns()
        op()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main():
    count = int(sys.argv[1])
    with open(VECTORS) as f:
        text = json.load(f)["challenges"][0]["text"].encode()
    local = challenge.Transport(local_socket=True)
    generate_token()
    print(f"token_us={median_us(count, generate_token):.1f}")
    print(f"answer_us={median_us(count, lambda: challenge.answer(text, 'localhost', 3306, local)):.1f}")


if __name__ == "__main__":
    main()
