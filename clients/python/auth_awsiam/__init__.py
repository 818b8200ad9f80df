"""AWS IAM logins to MySQL servers with the auth_awsiam plugin, from Python.

* :func:`generate_token`: the password of an ``auth_awsiam`` account, minted in this
  process (no ``auth_awsiam_token`` subprocess), from credentials loaded once per process.
* :class:`auth_awsiam.pymysql.ChallengeHandler`: answers ``auth_awsiam_challenge`` in
  PyMySQL (``auth_plugin_map``), as the C client plugin does, under the same trust rules.
* :func:`auth_awsiam.pymysql.token_creator`: a connection factory for pools (SQLAlchemy's
  ``creator``) that reuses a token within its life.

The formats are docs/protocol.rst's; the tests check them against its test vectors.
"""

from .token import generate_token

__all__ = ["generate_token"]
