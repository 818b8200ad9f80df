"""PyMySQL: answering ``auth_awsiam_challenge`` (``auth_plugin_map``) and a connection
factory for pools that reuses a token within its life.

    import pymysql
    from auth_awsiam.pymysql import AUTH_PLUGIN_MAP

    conn = pymysql.connect(host="db1.example.com", user="AppRole",
                           ssl={"ca": "/etc/mysql/ca.pem"},   # verified: the server proved itself
                           auth_plugin_map=AUTH_PLUGIN_MAP)
"""

import ssl
import threading
import time
from typing import Optional

from . import challenge as _challenge
from ._credentials import NoCredentials
from .token import generate_token

PLUGIN_NAME = "auth_awsiam_client"


class ChallengeHandler:
    """PyMySQL's handler for the client plugin ``auth_awsiam_client``: reads the challenge
    the server sent with its auth switch, answers it (challenge.py's rules) and returns the
    server's next packet. A refusal raises PyMySQL's OperationalError with the reason, as
    the C plugin's message does; nothing is sent."""

    def __init__(self, con):
        self.con = con

    def _transport(self) -> _challenge.Transport:
        con = self.con
        if getattr(con, "unix_socket", None):
            return _challenge.Transport(local_socket=True)
        sock = getattr(con, "_sock", None)
        if isinstance(sock, ssl.SSLSocket):
            return _challenge.Transport(
                certificate=sock.getpeercert(binary_form=True),
                verified=sock.context.verify_mode == ssl.CERT_REQUIRED)
        return _challenge.Transport()

    def authenticate(self, pkt):
        from pymysql import err

        raw = pkt.read_all()
        try:
            answer = _challenge.answer(raw, self.con.host, self.con.port, self._transport())
        except (_challenge.Refused, NoCredentials, ValueError) as e:
            raise err.OperationalError(2061, f"Authentication plugin '{PLUGIN_NAME}' reported error: {e}") from None
        self.con.write_packet(answer.encode("ascii"))
        return self.con._read_packet()


AUTH_PLUGIN_MAP = {PLUGIN_NAME: ChallengeHandler}


def token_creator(*, host: str, user: str, port: int = 3306, region: Optional[str] = None,
                  sts_endpoint: Optional[str] = None, server_id: Optional[str] = None,
                  profile: Optional[str] = None, reuse_seconds: int = 600, **connect_args):
    """A function that opens a PyMySQL connection with a token, for a pool (SQLAlchemy's
    ``create_engine("mysql+pymysql://", creator=...)``). A token is reused for
    `reuse_seconds` (default 10 minutes, inside the server's default
    ``auth_awsiam_token_max_age`` of 15), so a pool filling up mints one, and the server
    answers the reused token from its cache. Pass ``ssl=`` (a TLS connection is required
    unless the server says otherwise). The token goes in cleartext inside TLS, as
    ``mysql_clear_password``: PyMySQL sends it when the server asks."""
    import pymysql

    lock = threading.Lock()
    held = {"token": None, "at": 0.0}

    def token() -> str:
        with lock:
            if held["token"] is None or time.monotonic() - held["at"] >= reuse_seconds:
                held["token"] = generate_token(region, sts_endpoint=sts_endpoint,
                                               server_id=server_id, profile=profile)
                held["at"] = time.monotonic()
            return held["token"]

    def connect():
        return pymysql.connect(host=host, port=port, user=user, password=token(), **connect_args)

    return connect
