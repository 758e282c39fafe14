"""The one client factory, per target, against a real moto server over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import LAB_ENDPOINT, ClientFactory, Target, TargetKind
from cdevops_chaos.errors import TargetError, UsageError


def test_lab_target_uses_the_lab_endpoint_and_dummy_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CDEVOPS_LAB_ENDPOINT", raising=False)
    clients = ClientFactory(Target(kind=TargetKind.LAB))
    ec2 = clients.client("ec2")
    assert ec2.meta.endpoint_url == LAB_ENDPOINT
    assert ec2.meta.config.retries["mode"] == "adaptive"
    assert clients.session().get_credentials().access_key == "testing"


def test_localstack_target_honours_localstack_host(localstack_env: str) -> None:
    clients = ClientFactory(Target(kind=TargetKind.LOCALSTACK))
    assert clients.target.resolved_endpoint() == localstack_env
    # it really reaches the server there: the moto server answers as a LocalStack would
    assert clients.account_id() == "123456789012"


def test_aws_target_assumes_the_given_role(moto: str) -> None:
    base = ClientFactory(Target(kind=TargetKind.AWS, endpoint_url=moto))
    base.client("iam").create_role(
        RoleName="game-day", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )
    role = "arn:aws:iam::123456789012:role/game-day"
    clients = ClientFactory(Target(kind=TargetKind.AWS, endpoint_url=moto, assume_role_arn=role))
    identity = clients.client("sts").get_caller_identity()
    assert ":assumed-role/game-day/cdevops-chaos" in identity["Arn"]
    assert clients.session().get_credentials().access_key != "testing"


def test_unreachable_target_is_a_target_error_with_a_hint() -> None:
    clients = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(TargetError) as err:
        clients.account_id()
    assert err.value.hint and "lab up" in err.value.hint


def test_unknown_target_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        Target.parse("staging")


def test_clients_are_cached_per_service_and_region() -> None:
    clients = ClientFactory(Target(kind=TargetKind.LAB))
    assert clients.client("sts") is clients.client("sts")
    assert clients.client("sts", "eu-west-1") is not clients.client("sts")


def test_assumed_role_session_keeps_the_profile_region(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Region only in the profile: no --region, no AWS_REGION / AWS_DEFAULT_REGION.
    config = tmp_path / "config"
    config.write_text(
        "[profile game-day]\nregion = eu-west-1\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    role = "arn:aws:iam::123456789012:role/game-day"
    clients = ClientFactory(
        Target(kind=TargetKind.AWS, endpoint_url=moto, profile="game-day", assume_role_arn=role)
    )
    assert clients.session().region_name == "eu-west-1"
    assert clients.region == "eu-west-1"
    assert clients.client("ec2").meta.region_name == "eu-west-1"


def test_assume_role_rejected_is_a_target_error_with_a_hint(moto: str) -> None:
    clients = ClientFactory(
        Target(kind=TargetKind.AWS, endpoint_url=moto, assume_role_arn="not-an-arn")
    )
    with pytest.raises(TargetError) as err:
        clients.session()
    assert "not-an-arn" in err.value.message
    assert err.value.hint and "trust policy" in err.value.hint


def test_assume_role_unreachable_endpoint_is_a_target_error() -> None:
    role = "arn:aws:iam::123456789012:role/game-day"
    clients = ClientFactory(
        Target(kind=TargetKind.AWS, endpoint_url="http://127.0.0.1:9", assume_role_arn=role)
    )
    with pytest.raises(TargetError):
        clients.session()


def test_config_overrides_make_their_own_cached_client() -> None:
    clients = ClientFactory(Target(kind=TargetKind.LAB))
    canary = clients.client("dynamodb", retries={"total_max_attempts": 1}, read_timeout=1.5)
    assert canary is clients.client("dynamodb", retries={"total_max_attempts": 1}, read_timeout=1.5)
    assert canary is not clients.client("dynamodb")
    assert canary.meta.config.read_timeout == 1.5 and canary.meta.config.connect_timeout == 5
    assert canary.meta.config.retries["total_max_attempts"] == 1
    assert clients.client("dynamodb").meta.config.read_timeout == 30
