"""PyMySQL: answering ``auth_awsiam_challenge`` (``auth_plugin_map``) and a connection
factory for pools that reuses a token within its life.

    import pymysql
    from auth_awsiam.pymysql import AUTH_PLUGIN_MAP

    conn = pymysql.connect(host="db1.example.com", user="AppRole",
                           ssl={"ca": "/etc/mysql/ca.pem"},   # verified: the server proved itself
                           auth_plugin_map=AUTH_PLUGIN_MAP)
"""

import os
import ssl
import threading
import time
from typing import Optional

from . import challenge as _challenge
from ._credentials import CredentialsError
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
        except (_challenge.Refused, CredentialsError, ValueError) as e:
            raise err.OperationalError(2061, f"Authentication plugin '{PLUGIN_NAME}' reported error: {e}") from None
        self.con.write_packet(answer.encode("ascii"))
        return self.con._read_packet()


AUTH_PLUGIN_MAP = {PLUGIN_NAME: ChallengeHandler}


class TokenHandler(ChallengeHandler):
    """PyMySQL's handler for ``mysql_clear_password`` (what an ``auth_awsiam`` account asks
    for): sends a token from `token()`, but only to a server that proved itself, under the
    same rules as a challenge answer (a token is a signed request too): TLS whose
    certificate PyMySQL verified, a Unix socket, or a server named in
    AUTH_AWSIAM_TRUSTED_SERVERS. Anywhere else it sends nothing and says why."""

    token = None  # set by token_creator on a subclass

    def authenticate(self, pkt):
        from pymysql import err

        try:
            _challenge.check_trust(self.con.host, self.con.port, self._transport(),
                                   os.environ.get(_challenge.TRUSTED_SERVERS))
        except _challenge.Refused as e:
            raise err.OperationalError(
                2061, f"Authentication plugin 'mysql_clear_password' reported error: not sending "
                      f"a token: {e}") from None
        try:
            token = type(self).token()
        except (CredentialsError, ValueError) as e:
            raise err.OperationalError(2061, f"Authentication plugin 'mysql_clear_password' reported error: {e}") from None
        self.con.write_packet(token.encode("ascii") + b"\0")
        return self.con._read_packet()


def token_creator(*, host: str, user: str, port: int = 3306, region: Optional[str] = None,
                  sts_endpoint: Optional[str] = None, server_id: Optional[str] = None,
                  profile: Optional[str] = None, reuse_seconds: int = 600, **connect_args):
    """A function that opens a PyMySQL connection with a token, for a pool (SQLAlchemy's
    ``create_engine("mysql+pymysql://", creator=...)``). A token is reused for
    `reuse_seconds` (default 10 minutes, inside the server's default
    ``auth_awsiam_token_max_age`` of 15), so a pool filling up mints one, and the server
    answers the reused token from its cache. Pass ``ssl={"ca": ...}``: the token is sent
    (``mysql_clear_password``, when the server asks) only over TLS whose certificate
    PyMySQL verified, or a Unix socket (see TokenHandler)."""
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

    handler = type("Token", (TokenHandler,), {"token": staticmethod(token)})
    plugins = dict(connect_args.pop("auth_plugin_map", None) or {})
    plugins["mysql_clear_password"] = handler

    def connect():
        return pymysql.connect(host=host, port=port, user=user, auth_plugin_map=plugins, **connect_args)

    return connect
