"""The formats of docs/protocol.rst: tokens, challenges, answers, channel binding."""

import base64
import hashlib
from dataclasses import dataclass
from typing import List, Optional

TOKEN_PREFIX = "awsiam1."
ANSWER_PREFIX = "awsiamc2."
CHALLENGE_VERSION = "awsiam-challenge/2"
CHALLENGE_FIELDS = ("nonce", "sts-host", "region", "server-id", "timeout", "answers", "jwt-audience")
# The kinds of answer this package gives, in no order: the challenge's order decides.
KNOWN_ANSWERS = ("sigv4", "jwt")
NONCE_LEN = 43
# The longest challenge the server sends (the client plugin's limit too).
MAX_CHALLENGE_LEN = 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Signed:
    """The signature material of the fixed request (docs/protocol.rst, "The signed request")."""

    host: str
    amz_date: str
    credential: str
    signed_headers: str
    signature: str
    server_id: Optional[str]
    session_token: Optional[str]

    def fields(self) -> List[str]:
        return [self.host, self.amz_date, self.credential, self.signed_headers,
                self.signature, self.server_id or "", self.session_token or ""]


def token(signed: Signed) -> str:
    return TOKEN_PREFIX + b64url("\n".join(signed.fields()).encode("ascii"))


def sigv4_answer(signed: Signed, nonce: str, audience: str, channel: Optional[str]) -> str:
    fields = ["sigv4"] + signed.fields() + [nonce, audience, channel or ""]
    return ANSWER_PREFIX + b64url("\n".join(fields).encode("ascii"))


def jwt_answer(jwt: str) -> str:
    return ANSWER_PREFIX + b64url(f"jwt\n{jwt}".encode("ascii"))


class BadChallenge(ValueError):
    """The server's first packet is not a challenge this package reads."""


@dataclass
class Challenge:
    nonce: str
    sts_host: str
    region: str
    server_id: Optional[str]
    timeout: int
    answers: List[str]
    jwt_audience: Optional[str]


def parse_challenge(raw: bytes) -> Challenge:
    """Reads a challenge (one trailing NUL tolerated), refusing anything outside the format."""
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    if len(raw) > MAX_CHALLENGE_LEN:
        raise BadChallenge(f"the challenge is {len(raw)} bytes; the limit is {MAX_CHALLENGE_LEN}")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise BadChallenge("the challenge is not ASCII") from None
    if not text.endswith("\n"):
        raise BadChallenge("the challenge does not end in a newline")
    lines = text[:-1].split("\n")
    if lines[0] != CHALLENGE_VERSION:
        if lines[0] == "awsiam-challenge/1":
            raise BadChallenge("the server sends version 1 challenges: upgrade the server")
        raise BadChallenge(f"not a challenge of version 2 (first line {lines[0][:40]!r})")
    if len(lines) != 1 + len(CHALLENGE_FIELDS):
        raise BadChallenge(f"the challenge has {len(lines) - 1} fields; version 2 has {len(CHALLENGE_FIELDS)}")
    values = {}
    for name, line in zip(CHALLENGE_FIELDS, lines[1:]):
        key, sep, value = line.partition("=")
        if key != name or not sep:
            raise BadChallenge(f"expected the field {name}, got {line[:40]!r}")
        values[name] = value
    nonce = values["nonce"]
    if len(nonce) != NONCE_LEN or not all(c.isalnum() or c in "-_" for c in nonce):
        raise BadChallenge("the nonce is not 43 characters of base64url")
    if not values["sts-host"] or not values["region"]:
        raise BadChallenge("the challenge names no STS host or region")
    if not values["timeout"].isdigit():
        raise BadChallenge("the timeout is not a number of seconds")
    offered = values["answers"].split(",")
    if len(set(offered)) != len(offered):
        raise BadChallenge("the challenge names an answer twice")
    answers = [a for a in offered if a in KNOWN_ANSWERS]
    if not answers:
        raise BadChallenge(f"the server takes none of the answers this client gives ({values['answers'][:64]!r})")
    jwt_audience = values["jwt-audience"] or None
    if ("jwt" in offered) != (jwt_audience is not None):
        raise BadChallenge("jwt answers and a jwt-audience come together")
    return Challenge(nonce, values["sts-host"], values["region"], values["server-id"] or None,
                     int(values["timeout"]), answers, jwt_audience)


# The certificate's signature algorithm (DER of its OID) -> the hash of RFC 5929; MD5,
# SHA-1 and everything RFC 5929 does not name use SHA-256.
_OID_HASH = {
    bytes.fromhex("2a864886f70d01010c"): "sha384",  # sha384WithRSAEncryption
    bytes.fromhex("2a864886f70d01010d"): "sha512",  # sha512WithRSAEncryption
    bytes.fromhex("2a8648ce3d040303"): "sha384",  # ecdsa-with-SHA384
    bytes.fromhex("2a8648ce3d040304"): "sha512",  # ecdsa-with-SHA512
}


def _der_item(data: bytes, at: int):
    """(tag, start of content, end of content) of the DER item at `at`."""
    tag, first = data[at], data[at + 1]
    at += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        length = int.from_bytes(data[at:at + n], "big")
        at += n
    return tag, at, at + length


def signature_hash(cert_der: bytes) -> str:
    """The hash of the certificate's tls-server-end-point value (RFC 5929 section 4.1)."""
    try:
        _, cert, _ = _der_item(cert_der, 0)  # Certificate
        _, _, tbs_end = _der_item(cert_der, cert)  # tbsCertificate
        _, alg, _ = _der_item(cert_der, tbs_end)  # signatureAlgorithm
        tag, oid, oid_end = _der_item(cert_der, alg)
    except IndexError:
        raise ValueError("the server certificate cannot be read") from None
    if tag != 0x06:
        raise ValueError("the server certificate cannot be read")
    return _OID_HASH.get(cert_der[oid:oid_end], "sha256")


def channel_binding(cert_der: bytes) -> str:
    digest = hashlib.new(signature_hash(cert_der), cert_der).digest()
    return "tls-server-end-point:" + b64url(digest)
