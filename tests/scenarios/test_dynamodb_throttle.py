"""dynamodb-throttle on moto server: inject lowers the capacity, revert puts back the whole
``DescribeTable`` output and the table's tags, from the journal or from the tags alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import FaultError, GuardRefused, Inconclusive, RevertFailed
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.aws import original_tags, words_from_original_tags
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.scenarios.dynamodb_throttle import (
    Capacity,
    DynamodbThrottle,
    switch_back_refusal,
)
from tests.faults.conftest import make_clients, make_ctx
from tests.scenarios.worlds import comparable_table, make_table


def _fault(clients: ClientFactory, table: str, **params: Any) -> DynamodbThrottle:
    spec = load_catalogue()["dynamodb-throttle"]
    given = {"table": table, "duration": "30s", **params}
    assert registry.parameter_problems(spec, given) == []
    fault = registry.build_fault(
        "dynamodb-throttle", resolve_parameters(spec, given), clients, make_ctx()
    )
    assert isinstance(fault, DynamodbThrottle)
    return fault


def _tags(clients: ClientFactory, table: str) -> dict[str, str]:
    ddb = clients.client("dynamodb")
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def _capacity(clients: ClientFactory, table: str) -> Capacity:
    return Capacity.of_table(clients.client("dynamodb").describe_table(TableName=table)["Table"])


def test_provisioned_table_is_lowered_then_restored_exactly(clients: ClientFactory) -> None:
    make_table(clients, "orders", provisioned=(5, 7), index=(3, 4))
    before, tags_before = comparable_table(clients, "orders"), _tags(clients, "orders")
    fault = _fault(clients, "orders", write_capacity_units=2)
    handle = fault.revert_handle()
    assert handle["original"] == {
        "mode": "PROVISIONED",
        "read": 5,
        "write": 7,
        "indexes": {"by-sku": [3, 4]},
    }

    fault.inject(handle)
    fault.wait_active(handle, timeout_s=5)
    assert _capacity(clients, "orders") == Capacity("PROVISIONED", 1, 2, {"by-sku": (1, 2)})
    tags = _tags(clients, "orders")
    assert tags["cdevops:run-id"] == "run-test-1"
    assert tags["cdevops:original"] == "mode=PROVISIONED table=5/7 index:by-sku=3/4"

    message = DynamodbThrottle.revert(
        json.loads(json.dumps(handle)), make_clients(clients.target.endpoint_url or "")
    )
    assert message == "restored table orders to provisioned 5 RCU/7 WCU (by-sku 3/4)"
    assert comparable_table(clients, "orders") == before
    assert _tags(clients, "orders") == tags_before
    # idempotent
    assert "nothing to restore" in DynamodbThrottle.revert(handle, clients)


def test_on_demand_table_is_switched_and_switched_back(clients: ClientFactory) -> None:
    make_table(clients, "catalog", provisioned=None, index=None)
    before = comparable_table(clients, "catalog")
    fault = _fault(clients, "catalog")
    assert "switched to provisioned mode" in " ".join(fault.plan().notes)
    handle = fault.revert_handle()
    fault.inject(handle)
    assert _capacity(clients, "catalog") == Capacity("PROVISIONED", 1, 1, {"by-sku": (1, 1)})

    assert DynamodbThrottle.revert(handle, clients) == "restored table catalog to on-demand"
    assert comparable_table(clients, "catalog") == before
    assert not any(k.startswith("cdevops:") for k in _tags(clients, "catalog"))


def test_indexes_are_left_alone_when_asked(clients: ClientFactory) -> None:
    make_table(clients, "orders", provisioned=(5, 5), index=(3, 3))
    fault = _fault(clients, "orders", include_indexes=False)
    handle = fault.revert_handle()
    fault.inject(handle)
    assert _capacity(clients, "orders") == Capacity("PROVISIONED", 1, 1, {"by-sku": (3, 3)})
    DynamodbThrottle.revert(handle, clients)


def test_cleanup_without_the_journal_restores_the_original_from_the_tags(
    clients: ClientFactory,
) -> None:
    make_table(clients, "orders", provisioned=(9, 8), index=(6, 5))
    make_table(clients, "untouched", provisioned=(2, 2), index=None)
    before = comparable_table(clients, "orders")
    fault = _fault(clients, "orders")
    fault.inject(fault.revert_handle())  # the run dies here: its journal is lost

    fresh = make_clients(clients.target.endpoint_url or "")
    (orphan,) = DynamodbThrottle.find_orphans(fresh)
    assert orphan["table"] == "orders"
    assert orphan["original"]["indexes"] == {"by-sku": [6, 5]}
    assert "restored table orders" in registry.revert_handle(orphan, fresh)
    assert comparable_table(clients, "orders") == before
    assert DynamodbThrottle.find_orphans(fresh) == []


def test_a_handle_journaled_before_the_injection_reverts_nothing(clients: ClientFactory) -> None:
    make_table(clients, "orders", provisioned=(5, 5), index=None)
    handle = _fault(clients, "orders").revert_handle()
    assert "never changed" in DynamodbThrottle.revert(handle, clients)


def test_dry_run_only_describes(clients: ClientFactory) -> None:
    make_table(clients, "orders", provisioned=(5, 5), index=None)
    before = comparable_table(clients, "orders")
    spec = load_catalogue()["dynamodb-throttle"]
    params = resolve_parameters(spec, {"table": "orders"})
    fault = registry.build_fault("dynamodb-throttle", params, clients, make_ctx(dry_run=True))
    plan = fault.plan()
    assert plan.blast_radius[0].type == "aws:dynamodb:table"
    handle = fault.inject(fault.revert_handle())
    assert fault.is_over(handle)
    assert comparable_table(clients, "orders") == before
    assert _tags(clients, "orders") == {"team": "shop"}


def test_nothing_to_throttle_and_no_table_are_inconclusive(clients: ClientFactory) -> None:
    make_table(clients, "tiny", provisioned=(1, 1), index=None)
    with pytest.raises(Inconclusive, match="already has provisioned 1 RCU/1 WCU"):
        _fault(clients, "tiny").plan()
    with pytest.raises(Inconclusive, match="no DynamoDB table ghost"):
        _fault(clients, "ghost").plan()


def test_an_on_demand_table_switched_recently_is_refused_before_anything_changes(
    clients: ClientFactory,
) -> None:
    """moto does not report ``LastUpdateToPayPerRequestDateTime``; the hook adds to moto's real
    DescribeTable answer the field AWS would send for a table switched an hour ago."""
    make_table(clients, "catalog", provisioned=None, index=None)
    before = comparable_table(clients, "catalog")
    ddb = clients.client("dynamodb")
    switched = datetime.now(UTC) - timedelta(hours=1)

    def recent_switch(parsed: dict[str, Any], **_: Any) -> None:
        parsed["Table"]["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = switched

    ddb.meta.events.register("after-call.dynamodb.DescribeTable", recent_switch)
    try:
        with pytest.raises(GuardRefused, match="could be refused until") as caught:
            _fault(clients, "catalog").plan()
    finally:
        ddb.meta.events.unregister("after-call.dynamodb.DescribeTable", recent_switch)
    assert "nothing was started" in (caught.value.hint or "")
    assert comparable_table(clients, "catalog") == before


def test_switch_back_refusal_is_for_on_demand_tables_switched_within_24_hours() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)

    def table(mode: str, hours_ago: float | None) -> dict[str, Any]:
        summary: dict[str, Any] = {"BillingMode": mode}
        if hours_ago is not None:
            summary["LastUpdateToPayPerRequestDateTime"] = now - timedelta(hours=hours_ago)
        return {"TableName": "t", "BillingModeSummary": summary}

    assert switch_back_refusal(table("PAY_PER_REQUEST", 23.9), now) is not None
    assert switch_back_refusal(table("PAY_PER_REQUEST", 24), now) is None
    assert switch_back_refusal(table("PAY_PER_REQUEST", None), now) is None
    assert switch_back_refusal(table("PROVISIONED", 1), now) is None


def test_a_refused_update_leaves_the_table_and_its_tags_as_they_were(
    clients: ClientFactory,
) -> None:
    make_table(clients, "orders", provisioned=(5, 5), index=(5, 5))
    before, tags_before = comparable_table(clients, "orders"), _tags(clients, "orders")
    ddb = clients.client("dynamodb")

    def refuse(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "LimitExceededException", "Message": "too many decreases"}},
            "UpdateTable",
        )

    fault = _fault(clients, "orders")
    handle = fault.revert_handle()
    ddb.meta.events.register("before-parameter-build.dynamodb.UpdateTable", refuse)
    try:
        with pytest.raises(FaultError, match="LimitExceededException") as caught:
            fault.inject(handle)
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb.UpdateTable", refuse)
    assert "decreases" in (caught.value.hint or "")
    assert comparable_table(clients, "orders") == before
    assert _tags(clients, "orders") == tags_before


def test_capacity_round_trips_through_tags_split_at_256_characters() -> None:
    cap = Capacity("PROVISIONED", 40000, 3, {f"index-{i:03d}": (i, i + 1) for i in range(20)})
    tags = original_tags(cap.words())
    assert len(tags) > 1 and all(len(v) <= 256 for v in tags.values())
    assert Capacity.from_words(words_from_original_tags(tags) or []) == cap


def test_a_failed_revert_is_loud_and_its_command_restores_the_table(
    clients: ClientFactory,
) -> None:
    make_table(clients, "orders", provisioned=(5, 7), index=(3, 4))
    before = comparable_table(clients, "orders")
    fault = _fault(clients, "orders")
    handle = fault.inject(fault.revert_handle())
    ddb = clients.client("dynamodb")

    def refuse(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateTable"
        )

    ddb.meta.events.register("before-parameter-build.dynamodb.UpdateTable", refuse)
    try:
        with pytest.raises(RevertFailed, match="AccessDeniedException") as caught:
            DynamodbThrottle.revert(handle, clients)
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb.UpdateTable", refuse)
    hint = caught.value.hint or ""
    assert hint.startswith("run by hand: aws dynamodb update-table --region us-east-1 ")
    # the command a person would run, sent as it is: the table is back
    ddb.update_table(**json.loads(hint.split("--cli-input-json ", 1)[1].strip("'")))
    assert comparable_table(clients, "orders") == before
