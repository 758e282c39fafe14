"""The DynamoDB canary: its writer process reaches the session's moto server through the
target's ``ClientFactory`` settings; the read-back (consistent reads) tells kept from deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.canary import CanaryRunner, canary_block, record_id
from cdevops_chaos.canary.ops import DynamoDbRecords
from cdevops_chaos.errors import CanaryError
from cdevops_chaos.experiment.model import DynamoDbCanary
from cdevops_chaos.recovery.rpo import measure_rpo
from tests.canary.helpers import run_until


@pytest.fixture
def clients(moto: str) -> ClientFactory:
    return ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=moto))


def _table(clients: ClientFactory, region: str, name: str = "canary") -> None:
    clients.client("dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_deleted_items_are_lost(clients: ClientFactory, tmp_path: Path):
    _table(clients, "us-east-1")
    spec = DynamoDbCanary(table="canary", interval=0.05, region="us-east-1")
    runner = CanaryRunner(spec, "ddb", clients, workdir=tmp_path)
    run_until(runner, 6)
    ddb = clients.client("dynamodb", "us-east-1")
    item = ddb.get_item(TableName="canary", Key={"pk": {"S": record_id("ddb", 1)}})["Item"]
    assert item["seq"] == {"N": "1"}
    for seq in (3, 4):  # the "failover" lost these
        ddb.delete_item(TableName="canary", Key={"pk": {"S": record_id("ddb", seq)}})
    writes = runner.read_back(deadline_s=10)
    assert all(w.acked_at is not None and w.status == "200" for w in writes)
    m = measure_rpo(writes)
    assert m.lost_seqs == (3, 4) and m.unconfirmed == 0
    by_seq = {w.seq: w for w in writes}
    assert m.rpo_s == (by_seq[4].acked_at - by_seq[2].acked_at).total_seconds()  # type: ignore[operator]
    assert canary_block(spec, writes, runner.schedule)["schedule"]["mode"] == "process"


def test_read_back_from_the_replica_region(clients: ClientFactory, tmp_path: Path):
    _table(clients, "us-east-1")
    _table(clients, "us-west-2")
    spec = DynamoDbCanary(
        table="canary", interval=0.05, region="us-east-1", read_region="us-west-2"
    )
    runner = CanaryRunner(spec, "gt", clients, workdir=tmp_path)
    run_until(runner, 5)
    # a replica that caught up with the first two writes only
    west = clients.client("dynamodb", "us-west-2")
    for seq in (1, 2):
        west.put_item(TableName="canary", Item={"pk": {"S": record_id("gt", seq)}})
    writes = runner.read_back(deadline_s=10)
    assert [w.durable for w in writes][:2] == [True, True]
    assert all(w.durable is False for w in writes[2:])


def test_writes_to_a_missing_table_are_unacked_with_the_error_code(
    clients: ClientFactory, tmp_path: Path
):
    spec = DynamoDbCanary(table="nope", interval=0.05, region="us-east-1")
    writes = run_until(CanaryRunner(spec, "nt", clients, workdir=tmp_path), 2)
    assert all(w.acked_at is None and w.status == "ResourceNotFoundException" for w in writes)


def test_a_writer_that_cannot_start_is_a_canary_error(tmp_path: Path):
    broken = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url="not a url"))
    runner = CanaryRunner(DynamoDbCanary(table="t"), "bad", broken, workdir=tmp_path)
    with pytest.raises(CanaryError, match="exited with code 2") as err:
        runner.start()
    assert "canary.log" in (err.value.hint or "")


def test_a_dynamodb_canary_needs_clients():
    with pytest.raises(ValueError, match="client factory"):
        CanaryRunner(DynamoDbCanary(table="t"), "x", None)


def test_on_the_aws_target_the_writer_gets_the_assumed_role_credentials(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    base = ClientFactory(Target(kind=TargetKind.AWS, endpoint_url=moto))
    base.client("iam").create_role(
        RoleName="game-day", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )
    role = "arn:aws:iam::123456789012:role/game-day"
    clients = ClientFactory(Target(kind=TargetKind.AWS, endpoint_url=moto, assume_role_arn=role))
    _table(clients, "us-east-1")
    spec = DynamoDbCanary(table="canary", interval=0.05, region="us-east-1")
    runner = CanaryRunner(spec, "aws", clients, workdir=tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "not-for-the-child")
    job, env = runner._job()
    frozen = clients.session().get_credentials().get_frozen_credentials()
    assert env["AWS_ACCESS_KEY_ID"] == frozen.access_key != "testing"
    assert env["AWS_SESSION_TOKEN"] == frozen.token and "AWS_PROFILE" not in env
    assert (job.target.kind, job.target.endpoint_url, job.target.region) == (
        "aws",
        moto,
        "us-east-1",
    )
    assert "testing" not in job.dumps() and frozen.secret_key not in job.dumps()
    monkeypatch.delenv("AWS_PROFILE")
    writes = run_until(runner, 3)
    assert all(w.acked_at is not None for w in writes)
    assert all(w.durable for w in runner.read_back(deadline_s=10))


def test_canary_calls_make_one_attempt_with_the_canary_timeout(clients: ClientFactory):
    records = DynamoDbRecords(DynamoDbCanary(table="t", timeout=0.7), "one", clients)
    config = records._writer.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert (config.connect_timeout, config.read_timeout) == (0.7, 0.7)
