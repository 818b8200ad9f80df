"""The package's formats and signer against docs/protocol.rst's test vectors (the file
every implementation reads), and its trust rules.

    python3 -m unittest discover -s clients/python/tests
"""

import datetime
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from botocore.credentials import Credentials  # noqa: E402

from auth_awsiam import _wire, challenge  # noqa: E402
from auth_awsiam._sign import sign  # noqa: E402

TESTDATA = os.path.join(HERE, "..", "..", "..", "plugin", "auth_awsiam", "core", "testdata")
with open(os.path.join(TESTDATA, "protocol-vectors.json")) as f:
    VECTORS = json.load(f)


def cert_der():
    import base64
    with open(os.path.join(TESTDATA, "channel_cert.pem")) as f:
        return base64.b64decode("".join(l.strip() for l in f if not l.startswith("-----")))


def signed(v, binding=None):
    creds = Credentials(v["access_key_id"], v["secret_access_key"], v["session_token"])
    now = datetime.datetime.strptime(v["time"], "%Y-%m-%dT%H:%M:%SZ")
    return sign(v["host"], v["region"], creds, server_id=v["server_id"], binding=binding, now=now)


class Vectors(unittest.TestCase):
    def test_tokens(self):
        for v in VECTORS["tokens"]:
            self.assertEqual(_wire.token(signed(v)), v["token"], v["name"])

    def test_sigv4_answers(self):
        for v in VECTORS["sigv4_answers"]:
            b = {"nonce": v["nonce"], "audience": v["audience"], "channel": v["channel"]}
            self.assertEqual(_wire.sigv4_answer(signed(v, b), **b), v["answer"], v["name"])

    def test_jwt_answers(self):
        for v in VECTORS["jwt_answers"]:
            self.assertEqual(_wire.jwt_answer(v["jwt"]), v["answer"])

    def test_channel_binding(self):
        for v in VECTORS["channel_bindings"]:
            self.assertEqual(_wire.channel_binding(cert_der()), v["value"])

    def test_challenges_parse(self):
        for v in VECTORS["challenges"]:
            c = _wire.parse_challenge(v["text"].encode())
            self.assertEqual((c.nonce, c.sts_host, c.region, c.server_id, c.timeout, c.answers, c.jwt_audience),
                             (v["nonce"], v["sts_host"], v["region"], v["server_id"], v["timeout_seconds"],
                              v["answers"], v["jwt_audience"]))

    def test_bad_challenges_are_refused(self):
        good = VECTORS["challenges"][0]["text"]
        for bad in [good.replace("/2", "/1"), good[:-1], good.replace("answers=sigv4", "answers=x"),
                    good.replace("answers=sigv4", "answers=jwt"), "x" * 2000 + "\n"]:
            with self.assertRaises(ValueError):
                _wire.parse_challenge(bad.encode())


class Trust(unittest.TestCase):
    CHALLENGE = VECTORS["challenges"][0]["text"].encode()

    def plan(self, transport, env=None, host="db1.example.com"):
        env = env or {}
        return challenge.plan(self.CHALLENGE, host, 3306, transport, env.get)

    def test_unverified_servers_get_nothing(self):
        for t in [challenge.Transport(), challenge.Transport(certificate=cert_der(), verified=False)]:
            with self.assertRaises(challenge.Refused) as e:
                self.plan(t)
            self.assertIn("AUTH_AWSIAM_TRUSTED_SERVERS", str(e.exception))

    def test_verified_tls_a_socket_or_a_named_server_is_answered(self):
        p = self.plan(challenge.Transport(certificate=cert_der(), verified=True))
        self.assertEqual(p["binding"]["audience"], "db1.example.com:3306")
        self.assertEqual(p["binding"]["channel"], VECTORS["channel_bindings"][0]["value"])
        self.assertEqual(self.plan(challenge.Transport(local_socket=True))["binding"]["audience"], "localhost")
        named = self.plan(challenge.Transport(), {"AUTH_AWSIAM_TRUSTED_SERVERS": "DB1.example.com"})
        self.assertIsNone(named["binding"]["channel"])

    def test_only_official_sts_hosts_or_the_configured_one(self):
        rogue = self.CHALLENGE.replace(b"sts.eu-west-1.amazonaws.com", b"sts.evil.example")
        with self.assertRaises(challenge.Refused):
            challenge.plan(rogue, "h", 1, challenge.Transport(local_socket=True), {}.get)
        p = challenge.plan(rogue, "h", 1, challenge.Transport(local_socket=True),
                           {"AUTH_AWSIAM_STS_ENDPOINT": "http://127.0.0.1:4566"}.get)
        self.assertEqual(p["sts_host"], "127.0.0.1:4566")

    def test_the_audience_is_the_users_not_the_servers(self):
        p = self.plan(challenge.Transport(local_socket=True), {"AUTH_AWSIAM_AUDIENCE": "localhost=db1.example.com"})
        self.assertEqual(p["binding"]["audience"], "db1.example.com")


class TokenTrust(unittest.TestCase):
    """A token is signed too: check_trust decides where one may go."""

    def test_a_token_goes_only_where_an_answer_may(self):
        with self.assertRaises(challenge.Refused) as e:
            challenge.check_trust("db1.example.com", 3306, challenge.Transport(), None)
        self.assertIn("not TLS", str(e.exception))
        with self.assertRaises(challenge.Refused):
            challenge.check_trust("db1.example.com", 3306,
                                  challenge.Transport(certificate=cert_der(), verified=False), None)
        self.assertEqual(challenge.check_trust("db1.example.com", 3306,
                                               challenge.Transport(certificate=cert_der(), verified=True), None),
                         "db1.example.com:3306")
        self.assertEqual(challenge.check_trust("db1", 3306, challenge.Transport(), "db1:3306,other"), "db1:3306")
        with self.assertRaises(challenge.Refused):
            challenge.check_trust("db1", 3307, challenge.Transport(), "db1:3306")


class OneLoadPerProcess(unittest.TestCase):
    """Connections opening at once share one load of the credentials."""

    def test_concurrent_connections_load_once(self):
        import threading
        import time

        from botocore.credentials import CredentialProvider, CredentialResolver

        from auth_awsiam import _credentials

        loads = []

        class Slow(CredentialProvider):
            METHOD = "slow-test"

            def load(self):
                loads.append(1)
                time.sleep(0.2)  # an AssumeRole in flight: the others arrive meanwhile
                return Credentials("AKIDSLOW", "secret")

        _credentials.forget()
        try:
            s = _credentials.session(None, "us-east-1")
            s.register_component("credential_provider", CredentialResolver([Slow()]))
            start = threading.Barrier(8)

            def one():
                start.wait()
                _credentials.frozen(None)

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(loads), 1)
        finally:
            _credentials.forget()


if __name__ == "__main__":
    unittest.main()
