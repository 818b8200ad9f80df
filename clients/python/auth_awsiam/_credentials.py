"""AWS credentials loaded once per process (issue 22): one botocore session per profile.

botocore's session resolves the credential chain once and keeps the result; credentials
that expire (a role's, SSO's, instance metadata's) are refreshed by botocore ahead of
their expiry, under its own lock, so concurrent connections make one AssumeRole, not one
each. A connection takes a frozen copy, consistent for one signature."""

import os
import threading
from typing import Optional

import botocore.exceptions
import botocore.session

_lock = threading.Lock()
_load_lock = threading.Lock()
_sessions = {}


class CredentialsError(RuntimeError):
    """Credentials could not be loaded; the message says why."""


class NoCredentials(CredentialsError):
    pass


NO_CREDENTIALS_HELP = (
    "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the AWS "
    "profile of AUTH_AWSIAM_PROFILE or AWS_PROFILE incl. SSO and role chains, web identity, "
    "ECS, EC2 instance metadata). Run 'aws sso login' or 'aws configure', or set AWS_PROFILE")


def session(profile: Optional[str] = None, region: Optional[str] = None):
    """The process's botocore session for `profile` (None: AWS_PROFILE, else default).
    Without a region of its own (botocore reads AWS_DEFAULT_REGION and the profile), it
    takes AWS_REGION, as the other SDKs do, else `region`: the STS calls of credential
    loading (a role_arn profile's AssumeRole) need one."""
    with _lock:
        s = _sessions.get(profile)
        if s is None:
            s = botocore.session.Session(profile=profile)
            _sessions[profile] = s
        if not s.get_config_variable("region"):
            fallback = os.environ.get("AWS_REGION") or region
            if fallback:
                s.set_config_variable("region", fallback)
        return s


def frozen(profile: Optional[str] = None, region: Optional[str] = None):
    """Credentials to sign one request with; refreshed by botocore when near expiry.

    The first resolution of the chain is made under a lock: botocore's session resolves it
    again for each thread that asks before the first has finished (connections opening at
    once made 4 AssumeRole calls for 8 connections, and a concurrent profile walk even
    failed as an "infinite loop"). Once resolved, the session keeps the credentials, and
    botocore refreshes expiring ones under its own lock."""
    try:
        s = session(profile, region)
        with _load_lock:
            creds = s.get_credentials()
        if creds is None:
            raise NoCredentials(NO_CREDENTIALS_HELP)
        return creds.get_frozen_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        raise CredentialsError(f"cannot load AWS credentials: {e}") from None


def forget():
    """Forgets every session and its credentials (tests; a process that changed accounts)."""
    with _lock:
        _sessions.clear()
