"""Build every boto3 client the product uses, for one target.

Targets:
- ``lab``: the embedded local region with dummy credentials, at the endpoint the running lab
  recorded in ``$CDEVOPS_HOME/lab/lab.json`` (``aws.lab_record``; ``CDEVOPS_LAB_ENDPOINT`` or an
  explicit endpoint wins; ``http://127.0.0.1:4566`` when no lab is recorded);
- ``localstack``: endpoints from localstack-client (honours ``LOCALSTACK_HOST``,
  ``AWS_ENDPOINT_URL``, ``USE_SSL``), so a LocalStack — or a moto server — is reached the way
  LocalStack users reach it;
- ``aws``: the default credential chain, ``--profile``, ``--region``, optional assume-role.

Our own calls use adaptive retries. Nothing here runs at import time; boto3 is imported lazily so
the CLI's ``--help`` stays light.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cdevops_chaos.errors import TargetError, UsageError

if TYPE_CHECKING:
    import boto3

    from cdevops_chaos.aws.lab_record import LabEndpoint

LAB_ENDPOINT = "http://127.0.0.1:4566"  # when no lab is recorded (see aws.lab_record)
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class TargetKind(StrEnum):
    LAB = "lab"
    LOCALSTACK = "localstack"
    AWS = "aws"


@dataclass(frozen=True)
class Target:
    """Where a run goes. ``region`` None means "from the profile / environment / experiment"."""

    kind: TargetKind = TargetKind.LAB
    region: str | None = None
    profile: str | None = None
    assume_role_arn: str | None = None
    endpoint_url: str | None = None  # override (tests point the lab kind at a private port)

    @classmethod
    def parse(cls, kind: str, **kw: Any) -> Target:
        try:
            return cls(kind=TargetKind(kind), **kw)
        except ValueError as err:
            raise UsageError(
                f"unknown target {kind!r}", hint="use one of: lab, localstack, aws"
            ) from err

    @property
    def is_local(self) -> bool:
        return self.kind is not TargetKind.AWS

    def lab_endpoint(self) -> LabEndpoint:
        """The lab's endpoint, where it came from, and notes (a stale record ignored)."""
        from cdevops_chaos.aws.lab_record import find_lab_endpoint

        return find_lab_endpoint(self.endpoint_url)

    def resolved_endpoint(self) -> str | None:
        """The endpoint every client of this target uses (None: AWS's own endpoints)."""
        if self.endpoint_url:
            return self.endpoint_url
        if self.kind is TargetKind.LAB:
            return self.lab_endpoint().url
        if self.kind is TargetKind.LOCALSTACK:
            from localstack_client.config import get_service_endpoint

            endpoint = get_service_endpoint("sts")
            if not endpoint:
                raise TargetError("localstack-client found no endpoint")
            return str(endpoint)
        return None


@dataclass
class ClientFactory:
    """Builds (and caches, per thread-safe key) boto3 clients for one target."""

    target: Target
    default_region: str = "us-east-1"
    _session: boto3.Session | None = field(default=None, init=False, repr=False)
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def region(self) -> str:
        if self.target.region:
            return self.target.region
        if self.target.kind is TargetKind.AWS:
            session_region = self.session().region_name
            if session_region:
                return str(session_region)
        return (
            os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or self.default_region
        )

    def session(self) -> boto3.Session:
        import boto3

        if self._session is None:
            if self.target.kind is TargetKind.AWS:
                try:
                    self._session = boto3.Session(profile_name=self.target.profile)
                except Exception as err:  # botocore ProfileNotFound and friends
                    raise TargetError(
                        f"cannot use AWS profile {self.target.profile!r}: {err}",
                        hint="check ~/.aws/config or pass --profile",
                    ) from err
                if self.target.assume_role_arn:
                    self._session = self._assume_role(self._session, self.target.assume_role_arn)
            else:
                self._session = boto3.Session(**DUMMY_CREDENTIALS)
                if self.target.assume_role_arn:
                    # A local target enforces nothing by default; the lab enforces the policy
                    # of a role tagged lab:enforce-iam (how iam-policy is tried locally).
                    self._session = self._assume_role(self._session, self.target.assume_role_arn)
        return self._session

    def _assume_role(self, base: boto3.Session, role_arn: str) -> boto3.Session:
        import boto3

        kwargs: dict[str, Any] = {"region_name": self.region, "config": self._config()}
        endpoint = self.target.resolved_endpoint()
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            sts = base.client("sts", **kwargs)
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="cdevops-chaos")[
                "Credentials"
            ]
        except (BotoCoreError, ClientError) as err:
            raise TargetError(
                f"cannot assume role {role_arn}: {err}",
                hint=(
                    "check the role ARN, that its trust policy lets your identity assume it, and "
                    "that your credentials (--profile, AWS_PROFILE) are valid"
                ),
            ) from err
        # The assumed-role session keeps the base session's region: without it, clients built
        # for a profile-only region (no --region, no AWS_REGION) would have none at all.
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=base.region_name,
        )

    @staticmethod
    def _config(**overrides: Any) -> Any:
        from botocore.config import Config

        base: dict[str, Any] = {
            "retries": {"mode": "adaptive", "max_attempts": 5},
            "connect_timeout": 5,
            "read_timeout": 30,
        }
        base.update(overrides)
        return Config(**base)

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        """A boto3 client for ``service`` on this target (cached per service, region and config).

        ``config`` overrides the botocore ``Config`` of our own calls, for callers that must not
        wait out adaptive retries (the RPO canary: one attempt per write, its own timeouts).
        """
        region = region or self.region
        key = (service, region, repr(sorted(config.items())))
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config(**config)}
                endpoint = self.target.resolved_endpoint()
                if endpoint:
                    kwargs["endpoint_url"] = endpoint
                self._clients[key] = self.session().client(service, **kwargs)
            return self._clients[key]

    def account_id(self) -> str:
        """The account the target's credentials belong to (STS GetCallerIdentity)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except (BotoCoreError, ClientError) as err:
            raise TargetError(
                f"cannot reach the {self.target.kind.value} target: {err}",
                hint=_unreachable_hint(self.target),
            ) from err


def _unreachable_hint(target: Target) -> str:
    if target.kind is TargetKind.LAB:
        found = target.lab_endpoint()
        where = {
            "explicit": "the endpoint given",
            "environment": "CDEVOPS_LAB_ENDPOINT",
            "record": "the running lab's record",
            "default": "the default (no running lab is recorded)",
        }[found.source]
        return " ".join(
            [
                f"{found.url} is from {where}; start the lab with `cdevops-chaos lab up`",
                *found.notes,
            ]
        )
    if target.kind is TargetKind.LOCALSTACK:
        return "set LOCALSTACK_HOST (host:port) to a running LocalStack or moto server"
    return "check your AWS credentials (--profile, AWS_PROFILE) and network"
