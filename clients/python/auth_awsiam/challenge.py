"""Answering ``auth_awsiam_challenge`` in Python, as the C client plugin
``auth_awsiam_client`` does (docs/challenge.rst), with the same options and trust rules:

* an answer goes only to a server that proved itself or that the user named: over TLS
  whose server certificate was verified, over a local socket, or to a server listed in
  ``AUTH_AWSIAM_TRUSTED_SERVERS`` (``host[:port],...``);
* it is signed only for an official AWS STS host, or for ``AUTH_AWSIAM_STS_ENDPOINT``;
* the audience is what the client dialed (or ``AUTH_AWSIAM_AUDIENCE``,
  ``DIALED=AUDIENCE,...``), never what the server says; over TLS the answer is bound to
  the certificate the client saw.

Everything is decided before credentials are touched. Each option may also be given as a
keyword argument of :func:`answer`, which wins over the environment variable."""

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import botocore.exceptions

from . import _credentials, _wire
from ._sign import sign
from .token import endpoint_authority

# Environment variables, the C client plugin's.
PROFILE = "AUTH_AWSIAM_PROFILE"
REGION = "AUTH_AWSIAM_REGION"
STS_ENDPOINT = "AUTH_AWSIAM_STS_ENDPOINT"
AUDIENCE = "AUTH_AWSIAM_AUDIENCE"
TRUSTED_SERVERS = "AUTH_AWSIAM_TRUSTED_SERVERS"

# The JWT answer's request (docs/protocol.rst, "The JWT answer's request").
JWT_ALGORITHM = "RS256"
JWT_LIFETIME_SECONDS = 60
NONCE_TAG, AUDIENCE_TAG, CHANNEL_TAG = "auth-awsiam-nonce", "auth-awsiam-audience", "auth-awsiam-channel"
LOCALHOST = "localhost"


class Refused(RuntimeError):
    """No answer was sent; the message says why and what to do."""


@dataclass
class Transport:
    """How the client reached the server."""

    local_socket: bool = False
    # The server certificate (DER) of a TLS connection, and whether it was verified.
    certificate: Optional[bytes] = None
    verified: bool = False


def _split(authority: str):
    """(host, port or None) of host[:port] / [v6]:port, the host canonical."""
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", authority.strip())
    if not m:
        return None
    host, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = host.lower()
    return host, int(port) if port else None


def _names(name: str, authority: str) -> bool:
    """Whether the user's `name` (host[:port]; no port: any port) names `authority`."""
    want, have = _split(name), _split(authority)
    return bool(want and have) and want[0] == have[0] and want[1] in (None, have[1])


def dialed_name(host: str, port: int, transport: Transport) -> str:
    if transport.local_socket:
        return LOCALHOST
    host = host.strip().lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def _official_sts_region(host: str) -> Optional[str]:
    """The region of an official AWS STS host (botocore's partitions), else None."""
    if host == "sts.amazonaws.com":
        return "us-east-1"
    loader = _credentials.session(None).get_component("data_loader")
    for partition in loader.load_data("endpoints")["partitions"]:
        m = re.fullmatch(r"sts(?:-fips)?\.([a-z0-9-]+)\." + re.escape(partition["dnsSuffix"]), host)
        if m and m.group(1) in partition["regions"]:
            return m.group(1)
    return None


def _option(kwargs: Dict[str, Optional[str]], key: str, env: str,
            getenv: Callable[[str], Optional[str]]) -> Optional[str]:
    value = kwargs.get(key)
    if value is None:
        value = getenv(env)
    return value.strip() if value and value.strip() else None


def check_trust(host: str, port: int, transport: Transport, trusted_servers: Optional[str]) -> str:
    """The dialed name (the audience), if the server may get something signed: it proved
    itself (TLS whose certificate was verified), is this machine's (a Unix socket), or the
    user named it (`trusted_servers`, host[:port],...). Else raises Refused."""
    name = dialed_name(host, port, transport)
    trusted = [t for t in (trusted_servers or "").split(",") if t.strip()]
    if (transport.certificate is not None and transport.verified) or transport.local_socket \
            or any(_names(t, name) for t in trusted):
        return name
    how = "TLS, but the client did not verify the server certificate" \
        if transport.certificate is not None else "not TLS"
    raise Refused(f"the connection to {name!r} is {how}, so the server has not proved who "
                  f"it is. Connect over TLS with the server certificate verified, or over the "
                  f"local socket; to trust this server anyway, add it to {TRUSTED_SERVERS} "
                  f"(host[:port])")


def plan(raw_challenge: bytes, host: str, port: int, transport: Transport,
         getenv: Callable[[str], Optional[str]] = os.environ.get, **kwargs) -> dict:
    """What to answer, decided with no I/O; raises Refused."""
    try:
        challenge = _wire.parse_challenge(raw_challenge)
    except ValueError as e:
        raise Refused(f"cannot read the server's challenge: {e}") from None
    try:
        name = check_trust(host, port, transport, _option(kwargs, "trusted_servers", TRUSTED_SERVERS, getenv))
    except Refused as e:
        raise Refused(f"not answering: {e}") from None
    endpoint = _option(kwargs, "sts_endpoint", STS_ENDPOINT, getenv)
    sts_host = endpoint_authority(endpoint) if endpoint else challenge.sts_host
    official_region = None if endpoint else _official_sts_region(sts_host)
    if not endpoint and official_region is None:
        raise Refused(f"not answering: the server asks for a request signed for {sts_host!r}, "
                      f"which is not an official AWS STS host; if it is your STS endpoint, set "
                      f"{STS_ENDPOINT} to its URL")
    region = _option(kwargs, "region", REGION, getenv) or official_region or challenge.region
    audience = name
    for rule in (_option(kwargs, "audience", AUDIENCE, getenv) or "").split(","):
        dialed, sep, told = rule.partition("=")
        if sep and _names(dialed.strip(), name):
            audience = told.strip()
            break
    channel = _wire.channel_binding(transport.certificate) if transport.certificate is not None else None
    return {"challenge": challenge, "sts_host": sts_host, "region": region, "endpoint": endpoint,
            "binding": {"nonce": challenge.nonce, "audience": audience, "channel": channel},
            "profile": _option(kwargs, "profile", PROFILE, getenv)}


def answer(raw_challenge: bytes, host: str, port: int, transport: Transport,
           getenv: Callable[[str], Optional[str]] = os.environ.get, **kwargs) -> str:
    """The answer to the server's challenge packet, with the first kind it offers that this
    package gives; raises Refused (nothing sent) or _credentials.CredentialsError."""
    p = plan(raw_challenge, host, port, transport, getenv, **kwargs)
    challenge = p["challenge"]
    if challenge.answers[0] == "jwt":
        return _wire.jwt_answer(_mint_jwt(p))
    signed = sign(p["sts_host"], p["region"], _credentials.frozen(p["profile"], p["region"]),
                  server_id=challenge.server_id, binding=p["binding"])
    return _wire.sigv4_answer(signed, **p["binding"])


def _mint_jwt(p: dict) -> str:
    """A 60-second RS256 JWT for the challenge's audience, tagged for this connection."""
    b = p["binding"]
    tags = [{"Key": NONCE_TAG, "Value": b["nonce"]}, {"Key": AUDIENCE_TAG, "Value": b["audience"]}]
    if b["channel"]:
        tags.append({"Key": CHANNEL_TAG, "Value": b["channel"]})
    sts = _credentials.session(p["profile"], p["region"]).create_client(
        "sts", region_name=p["region"], endpoint_url=p["endpoint"])
    if not hasattr(sts, "get_web_identity_token"):
        raise Refused("cannot answer with a JWT: this botocore has no GetWebIdentityToken; "
                      "upgrade botocore, or ask the DBA to offer sigv4 answers too")
    try:
        response = sts.get_web_identity_token(
            Audience=[p["challenge"].jwt_audience], SigningAlgorithm=JWT_ALGORITHM,
            DurationSeconds=JWT_LIFETIME_SECONDS, Tags=tags)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        raise Refused(f"cannot answer with a JWT: STS gave no token: {e}") from None
    return response["WebIdentityToken"]
