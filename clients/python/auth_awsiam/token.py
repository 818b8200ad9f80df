"""Tokens for ``auth_awsiam`` accounts, minted in this process (docs/protocol.rst)."""

import datetime
import os
from typing import Optional
from urllib.parse import urlsplit

from . import _credentials, _wire
from ._sign import sign


def official_host(region: str) -> str:
    """The regional STS host the server verifies against by default."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"sts.{region}.{suffix}"


def endpoint_authority(url: str) -> str:
    """HOST[:PORT] of an STS endpoint URL (https://sts.example or http://127.0.0.1:4566)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"not an STS endpoint URL: {url[:100]!r} (want https://HOST[:PORT])")
    return parts.netloc.lower()


def generate_token(region: Optional[str] = None, *, sts_endpoint: Optional[str] = None,
                   server_id: Optional[str] = None, profile: Optional[str] = None,
                   now: Optional[datetime.datetime] = None) -> str:
    """The password of an ``auth_awsiam`` account: ``awsiam1.`` and the signed request.

    Signed for the official STS host of `region` (default: AWS_REGION, else the AWS
    configuration's region), or for `sts_endpoint` when the server is configured with one
    (``auth_awsiam_sts_endpoint``; default: ``AUTH_AWSIAM_STS_ENDPOINT``, else
    ``AWS_ENDPOINT_URL_STS``, as for ``auth_awsiam_token``). `server_id`: the server's ``auth_awsiam_server_id``,
    if it has one. The credentials come from the AWS credential chain of `profile`,
    loaded once per process. Good for ``auth_awsiam_token_max_age`` seconds (900 by
    default); the server caches what it verified, so reuse a token within its life."""
    # AWS_REGION is what the other SDKs and the token tool read; botocore reads
    # AWS_DEFAULT_REGION and the profile's region.
    region = region or os.environ.get("AWS_REGION") \
        or _credentials.session(profile).get_config_variable("region")
    if not region:
        raise ValueError("no region: pass region= or set AWS_REGION")
    sts_endpoint = sts_endpoint or os.environ.get("AUTH_AWSIAM_STS_ENDPOINT") \
        or os.environ.get("AWS_ENDPOINT_URL_STS")
    host = endpoint_authority(sts_endpoint) if sts_endpoint else official_host(region)
    signed = sign(host, region, _credentials.frozen(profile, region), server_id=server_id, now=now)
    return _wire.token(signed)
