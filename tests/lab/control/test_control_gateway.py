"""The gateway as a plain AWS endpoint: forwarding to moto, the admin route, who signed what."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from localstack_client.session import Session

from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.iam.models import IdentityMap, parse_scope, role_arn_of
from cdevops_lab.truth.events import EventLog
from tests.conftest import free_port
from tests.lab.control.conftest import client

pytestmark = pytest.mark.usefixtures("moto")  # these tests need an empty moto


def test_forwards_query_json_and_rest_protocols(aws: Callable[..., Any], moto: str) -> None:
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"
    vpc = aws("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    # What went through the gateway is in moto, seen by a client that bypasses the gateway.
    assert vpc in [v["VpcId"] for v in client(moto, "ec2").describe_vpcs()["Vpcs"]]

    s3 = aws("s3")
    s3.create_bucket(Bucket="lab-bucket")
    s3.put_object(Bucket="lab-bucket", Key="k", Body=b"x" * 70_000)
    assert s3.head_object(Bucket="lab-bucket", Key="k")["ContentLength"] == 70_000
    assert s3.get_object(Bucket="lab-bucket", Key="k")["Body"].read() == b"x" * 70_000

    aws("dynamodb").list_tables()  # JSON protocol
    metrics = aws("cloudwatch").list_metrics(Namespace="AWS/S3")["Metrics"]  # moto's S3 metrics
    assert {"lab-bucket"} == {
        d["Value"] for m in metrics for d in m["Dimensions"] if d["Name"] == "BucketName"
    }


def test_fis_is_served_by_the_lab_not_moto(aws: Callable[..., Any], moto: str) -> None:
    aws("fis").create_experiment_template(
        clientToken="t",
        description="d",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "none"}],
        actions={"w": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1S"}}},
    )
    assert len(aws("fis").list_experiment_templates()["experimentTemplates"]) == 1
    assert client(moto, "fis").list_experiment_templates()["experimentTemplates"] == []


def test_localstack_client_reaches_the_gateway(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{gateway.port}")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = Session(region_name="us-east-1")
    assert session.client("cloudwatch").list_metrics()["Metrics"] == []
    assert session.client("fis").list_experiments()["experiments"] == []


@pytest.fixture
def with_admin(moto: str) -> Iterator[tuple[Gateway, list[tuple[str, str, str, bytes]]]]:
    calls: list[tuple[str, str, str, bytes]] = []

    def admin(method: str, path: str, query: str, body: bytes) -> tuple[int, dict[str, Any]]:
        calls.append((method, path, query, body))
        return 200, {"path": path, "ok": True}

    gw = Gateway(moto, Effects(), EventLog(), port=free_port(), admin_handler=admin)
    gw.start()
    try:
        yield gw, calls
    finally:
        gw.stop()


def test_lab_paths_go_to_the_admin_handler(
    with_admin: tuple[Gateway, list[tuple[str, str, str, bytes]]],
) -> None:
    gw, calls = with_admin
    with urllib.request.urlopen(f"{gw.url}/_lab/truth?since=5", timeout=5) as resp:
        assert json.loads(resp.read()) == {"path": "/_lab/truth", "ok": True}
    assert calls == [("GET", "/_lab/truth", "since=5", b"")]


def test_lab_paths_without_handler_are_404(gateway: Gateway) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{gateway.url}/_lab/status", timeout=5)
    assert err.value.code == 404


def test_stop_frees_the_port(moto: str) -> None:
    port = free_port()
    gw = Gateway(moto, Effects(), EventLog(), port=port)
    gw.start()
    assert gw.port == port
    sts = client(gw.url, "sts")
    sts.get_caller_identity()  # leaves a kept-alive connection in the client's pool
    gw.stop()
    with pytest.raises((EndpointConnectionError, ConnectionClosedError)):
        sts.get_caller_identity()  # nothing answers on old connections either
    again = Gateway(moto, Effects(), EventLog(), port=port)
    again.start()  # would raise "address in use" if the first had kept it
    again.stop()


def test_refuses_non_loopback(moto: str) -> None:
    with pytest.raises(ValueError):
        Gateway(moto, Effects(), EventLog(), host="0.0.0.0")
    with pytest.raises(ValueError):
        Gateway("http://10.0.0.1:5000", Effects(), EventLog())


def test_assume_role_through_the_gateway_maps_the_key_to_the_role(
    gateway: Gateway, aws: Callable[..., Any]
) -> None:
    role = aws("iam").create_role(RoleName="app", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    creds = aws("sts").assume_role(RoleArn=role, RoleSessionName="session")["Credentials"]
    assert gateway.identities.role_for(creds["AccessKeyId"]) == role


def test_scope_and_role_parsing() -> None:
    auth = (
        "AWS4-HMAC-SHA256 Credential=ASIAXYZ/20261129/eu-west-1/fis/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    scope = parse_scope(auth)
    assert scope is not None
    assert (scope.access_key_id, scope.region, scope.service) == ("ASIAXYZ", "eu-west-1", "fis")
    assert parse_scope(None) is None
    presigned = parse_scope(
        None, "X-Amz-Credential=AKIA1%2F20261129%2Fus-east-1%2Fs3%2Faws4_request"
    )
    assert presigned is not None and presigned.service == "s3"
    assert role_arn_of("arn:aws:sts::123456789012:assumed-role/app/sess") == (
        "arn:aws:iam::123456789012:role/app"
    )
    assert role_arn_of("arn:aws:iam::123456789012:user/bob") is None
    ids = IdentityMap()
    assert ids.observe_assume_role(b"not xml") is None
    assert ids.role_for("ASIAXYZ") is None


def test_status_reports_experiments_and_injected_errors(
    gateway: Gateway, aws: Callable[..., Any]
) -> None:
    assert gateway.status() == {
        "url": gateway.url,
        "listening": True,
        "experiments": [],
        "injected_errors": {},
    }
    fis = aws("fis")
    tid = fis.create_experiment_template(
        clientToken="t",
        description="d",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "none"}],
        actions={"w": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT10M"}}},
    )["experimentTemplate"]["id"]
    eid = fis.start_experiment(experimentTemplateId=tid)["experiment"]["id"]
    assert [e["id"] for e in gateway.status()["experiments"]] == [eid]
