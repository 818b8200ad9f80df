"""AWS credentials loaded once per process (issue 22): one botocore session per profile.

botocore's session resolves the credential chain once and keeps the result; credentials
that expire (a role's, SSO's, instance metadata's) are refreshed by botocore ahead of
their expiry, under its own lock, so concurrent connections make one AssumeRole, not one
each. A connection takes a frozen copy, consistent for one signature."""

import threading
from typing import Optional

import botocore.session

_lock = threading.Lock()
_sessions = {}


class NoCredentials(RuntimeError):
    pass


NO_CREDENTIALS_HELP = (
    "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the AWS "
    "profile of AUTH_AWSIAM_PROFILE or AWS_PROFILE incl. SSO and role chains, web identity, "
    "ECS, EC2 instance metadata). Run 'aws sso login' or 'aws configure', or set AWS_PROFILE")


def session(profile: Optional[str] = None):
    """The process's botocore session for `profile` (None: AWS_PROFILE, else default)."""
    with _lock:
        s = _sessions.get(profile)
        if s is None:
            s = botocore.session.Session(profile=profile)
            _sessions[profile] = s
        return s


def frozen(profile: Optional[str] = None):
    """Credentials to sign one request with; refreshed by botocore when near expiry."""
    creds = session(profile).get_credentials()
    if creds is None:
        raise NoCredentials(NO_CREDENTIALS_HELP)
    return creds.get_frozen_credentials()


def forget():
    """Forgets every session and its credentials (tests; a process that changed accounts)."""
    with _lock:
        _sessions.clear()
