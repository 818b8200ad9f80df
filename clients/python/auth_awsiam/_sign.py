"""SigV4 over the fixed GetCallerIdentity request, with botocore's signer."""

import datetime
from typing import Optional

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from ._wire import Signed

BODY = "Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
SERVER_ID_HEADER = "x-auth-awsiam-server-id"
NONCE_HEADER = "x-auth-awsiam-nonce"
AUDIENCE_HEADER = "x-auth-awsiam-audience"
CHANNEL_HEADER = "x-auth-awsiam-channel"


def sign(host: str, region: str, credentials, *, server_id: Optional[str] = None,
         binding: Optional[dict] = None, now: Optional[datetime.datetime] = None) -> Signed:
    """Signs the request for `host` (HOST[:PORT]) in `region`. `credentials`: botocore's
    (frozen) credentials. `binding`: a challenge's nonce, audience and channel (or None)."""
    headers = {"Content-Type": CONTENT_TYPE}
    if server_id:
        headers[SERVER_ID_HEADER] = server_id
    if binding:
        headers[NONCE_HEADER] = binding["nonce"]
        headers[AUDIENCE_HEADER] = binding["audience"]
        if binding.get("channel"):
            headers[CHANNEL_HEADER] = binding["channel"]
    request = AWSRequest(method="POST", url=f"https://{host}/", data=BODY, headers=headers)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(credentials, "sts", region)
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    signed_headers = auth.signed_headers(auth.headers_to_sign(request))
    return Signed(
        host=host,
        amz_date=amz_date,
        credential=f"{credentials.access_key}/{amz_date[:8]}/{region}/sts/aws4_request",
        signed_headers=signed_headers,
        signature=signature,
        server_id=server_id or None,
        session_token=credentials.token or None,
    )
