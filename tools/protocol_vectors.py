#!/usr/bin/env python3
"""Checks the protocol's test vectors (plugin/auth_awsiam/core/testdata/
protocol-vectors.json, docs/protocol.rst) with an implementation that is not ours:
botocore's SigV4 signer computes each signature from the vector's inputs, and the token,
answer, channel binding and challenge bytes are rebuilt here from the formats as
docs/protocol.rst states them. A second reader of the file, besides the Rust core's
tests/protocol_vectors.rs: a format or a signature that only our code agrees with fails.

Usage: protocol_vectors.py [VECTORS_FILE]   (needs botocore; CI runs it with LocalStack's
virtual environment, which has it). Exit status 0 when every vector holds."""

import base64
import hashlib
import json
import os
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "plugin", "auth_awsiam", "core", "testdata")

# The request every token signs (docs/protocol.rst, "The signed request").
BODY = "Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
TOKEN_PREFIX = "awsiam1."
ANSWER_PREFIX = "awsiamc2."


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def amz_date(iso):
    # "2026-12-06T12:00:00Z" -> "20261206T120000Z"
    return iso.replace("-", "").replace(":", "")


def sign(v, binding=None):
    """SigV4 over the fixed request with botocore: (signed headers, signature)."""
    creds = Credentials(v["access_key_id"], v["secret_access_key"], v["session_token"])
    headers = {"Content-Type": CONTENT_TYPE}
    if v["server_id"] is not None:
        headers["x-auth-awsiam-server-id"] = v["server_id"]
    if binding:
        headers["x-auth-awsiam-nonce"] = binding["nonce"]
        headers["x-auth-awsiam-audience"] = binding["audience"]
        if binding["channel"] is not None:
            headers["x-auth-awsiam-channel"] = binding["channel"]
    request = AWSRequest(method="POST", url=f"https://{v['host']}/", data=BODY, headers=headers)
    request.context["timestamp"] = amz_date(v["time"])
    auth = SigV4Auth(creds, "sts", v["region"])
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    return auth.signed_headers(auth.headers_to_sign(request)), auth.signature(string_to_sign, request)


def token_fields(v, signed_headers, signature):
    day = amz_date(v["time"])[:8]
    return [
        v["host"],
        amz_date(v["time"]),
        f"{v['access_key_id']}/{day}/{v['region']}/sts/aws4_request",
        signed_headers,
        signature,
        v["server_id"] or "",
        v["session_token"] or "",
    ]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TESTDATA, "protocol-vectors.json")
    with open(path) as f:
        vectors = json.load(f)
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got!r}, the vectors say {want!r}")

    checked = 0
    for v in vectors["tokens"]:
        signed, signature = sign(v)
        expect(f"token '{v['name']}' signed headers", signed, v["signed_headers"])
        expect(f"token '{v['name']}' signature", signature, v["signature"])
        wire = TOKEN_PREFIX + b64url("\n".join(token_fields(v, signed, signature)).encode())
        expect(f"token '{v['name']}'", wire, v["token"])
        checked += 1
    for v in vectors["sigv4_answers"]:
        signed, signature = sign(v, binding=v)
        expect(f"answer '{v['name']}' signed headers", signed, v["signed_headers"])
        expect(f"answer '{v['name']}' signature", signature, v["signature"])
        fields = ["sigv4"] + token_fields(v, signed, signature)
        fields += [v["nonce"], v["audience"], v["channel"] or ""]
        expect(f"answer '{v['name']}'", ANSWER_PREFIX + b64url("\n".join(fields).encode()), v["answer"])
        checked += 1
    for v in vectors["jwt_answers"]:
        expect("jwt answer", ANSWER_PREFIX + b64url(f"jwt\n{v['jwt']}".encode()), v["answer"])
        checked += 1
    for v in vectors["channel_bindings"]:
        with open(os.path.join(os.path.dirname(path), v["certificate"])) as f:
            pem = "".join(line.strip() for line in f if not line.startswith("-----"))
        digest = hashlib.new(v["hash"], base64.b64decode(pem)).digest()
        expect(f"channel binding of {v['certificate']}", "tls-server-end-point:" + b64url(digest), v["value"])
        checked += 1
    for v in vectors["challenges"]:
        lines = [
            "awsiam-challenge/2",
            f"nonce={v['nonce']}",
            f"sts-host={v['sts_host']}",
            f"region={v['region']}",
            f"server-id={v['server_id'] or ''}",
            f"timeout={v['timeout_seconds']}",
            f"answers={','.join(v['answers'])}",
            f"jwt-audience={v['jwt_audience'] or ''}",
        ]
        expect("challenge", "".join(line + "\n" for line in lines), v["text"])
        checked += 1

    for f in failures:
        print(f"protocol_vectors: {f}", file=sys.stderr)
    if failures or checked == 0:
        print(f"protocol_vectors: {len(failures)} of the vectors do not hold", file=sys.stderr)
        return 1
    print(f"protocol_vectors: {checked} vectors hold (signatures by botocore)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
