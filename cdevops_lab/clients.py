"""boto3 clients for the lab's own parts (gateway, FIS, app servers, autoscaler, publisher).

The lab is a separate subsystem from the product and builds its own clients here; its parts are
AWS *customers* of the lab's endpoint (or, for what stands for AWS's insides, of moto directly)
like any other: they call it over HTTP with dummy credentials, or with credentials from
``sts:AssumeRole`` so the gateway can tell which role signed a request. By default retries are
left to the caller (the autoscaler backs off on throttling itself; an app server answers 503 when
its table read is throttled), so the botocore retry loop is switched off; the control plane's own
calls to moto (``attempts``) may retry a dropped connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

DUMMY_KEY = "testing"
ACCOUNT = "123456789012"  # moto's default account: the simulated region's only account

# One session for every client: it caches the service models, so a client costs milliseconds
# instead of a fresh model load; making clients from one session needs the lock.
_session: Any = None
_session_lock = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    access_key_id: str = DUMMY_KEY
    secret_access_key: str = DUMMY_KEY
    session_token: str | None = None


def make_client(
    service: str,
    endpoint: str,
    region: str,
    credentials: Credentials | None = None,
    *,
    timeout_s: float = 5.0,
    attempts: int = 1,
) -> Any:
    """A boto3 client for ``service`` at the lab endpoint, one attempt per call."""
    import boto3
    from botocore.config import Config

    global _session
    creds = credentials or Credentials()
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=Config(
                retries={"total_max_attempts": attempts, "mode": "standard"},
                connect_timeout=timeout_s,
                read_timeout=timeout_s,
                max_pool_connections=32,
            ),
        )


def assume_role(sts: Any, role_arn: str, session_name: str) -> Credentials:
    """Credentials of ``role_arn`` from STS (through the gateway, which learns the role from it)."""
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
