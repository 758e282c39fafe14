"""DynamoDB provisioned capacity, enforced by the gateway in front of moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cdevops_lab.clients import make_client
from cdevops_lab.dynamodb.models import CapacityMeter, consumption
from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.truth.events import EventLog
from tests.conftest import free_port
from tests.lab.control.conftest import FakeClock, client

THROTTLED = "ProvisionedThroughputExceededException"

pytestmark = pytest.mark.usefixtures("moto")  # these tests need an empty moto


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def metered(moto: str, clock: FakeClock) -> Iterator[Gateway]:
    """A gateway whose capacity meter runs on a clock that moves only when the test says."""
    direct = make_client("dynamodb", moto, "us-east-1", attempts=3)
    gw = Gateway(
        moto, Effects(), EventLog(), port=free_port(), capacity=CapacityMeter(direct, clock=clock)
    )
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


def make_table(ddb: Any, **billing: Any) -> None:
    ddb.create_table(
        TableName="catalog",
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        **billing,
    )
    ddb.put_item(TableName="catalog", Item={"sku": {"S": "a1"}, "name": {"S": "lamp"}})


def burst(ddb: Any, n: int, **kw: Any) -> list[str]:
    """Outcome of ``n`` GetItems: "ok" or the error code."""
    out = []
    for _ in range(n):
        try:
            ddb.get_item(TableName="catalog", Key={"sku": {"S": "a1"}}, **kw)
            out.append("ok")
        except ClientError as err:
            out.append(err.response["Error"]["Code"])
    return out


def test_provisioned_table_throttles_a_burst_until_on_demand(
    metered: Gateway, clock: FakeClock
) -> None:
    ddb = client(metered.url, "dynamodb")
    make_table(
        ddb,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 5},
    )
    clock.advance(1)  # a fresh second: the PutItem above charged the previous one
    # 1 RCU a second = two eventually consistent reads of a small item, then throttling.
    assert burst(ddb, 5) == ["ok", "ok", THROTTLED, THROTTLED, THROTTLED]
    clock.advance(1)
    assert burst(ddb, 2, ConsistentRead=True) == ["ok", THROTTLED]

    ddb.update_table(TableName="catalog", BillingMode="PAY_PER_REQUEST")
    assert burst(ddb, 10) == ["ok"] * 10
    assert metered.injected[THROTTLED] == 4


def test_raising_capacity_through_update_table_takes_effect_at_once(
    metered: Gateway, clock: FakeClock
) -> None:
    ddb = client(metered.url, "dynamodb")
    make_table(
        ddb,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    clock.advance(1)
    assert burst(ddb, 3)[-1] == THROTTLED
    ddb.update_table(
        TableName="catalog",
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 1},
    )
    assert burst(ddb, 5) == ["ok"] * 5


def test_writes_are_metered_in_wcu(metered: Gateway, clock: FakeClock) -> None:
    ddb = client(metered.url, "dynamodb")
    make_table(
        ddb,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
    )
    clock.advance(1)
    codes = []
    for i in range(3):
        try:
            ddb.put_item(TableName="catalog", Item={"sku": {"S": f"s{i}"}})
            codes.append("ok")
        except ClientError as err:
            codes.append(err.response["Error"]["Code"])
    assert codes == ["ok", "ok", THROTTLED]


def test_on_demand_table_is_never_throttled(metered: Gateway) -> None:
    ddb = client(metered.url, "dynamodb")
    make_table(ddb, BillingMode="PAY_PER_REQUEST")
    assert burst(ddb, 20) == ["ok"] * 20


@pytest.mark.parametrize(
    ("operation", "request_", "response", "expected"),
    [
        ("GetItem", {"TableName": "t"}, {"Item": {"k": {"S": "x"}}}, {"t": (0.5, 0.0)}),
        (
            "GetItem",
            {"TableName": "t", "ConsistentRead": True},
            {"Item": {"k": {"S": "x" * 5000}}},
            {"t": (2.0, 0.0)},
        ),
        ("PutItem", {"TableName": "t", "Item": {"k": {"S": "x" * 1500}}}, {}, {"t": (0.0, 2.0)}),
        ("DeleteItem", {"TableName": "t"}, {}, {"t": (0.0, 1.0)}),
        (
            "BatchWriteItem",
            {"RequestItems": {"t": [{"PutRequest": {"Item": {}}}, {"DeleteRequest": {"Key": {}}}]}},
            {},
            {"t": (0.0, 2.0)},
        ),
    ],
)
def test_consumption_units(
    operation: str,
    request_: dict[str, Any],
    response: dict[str, Any],
    expected: dict[str, tuple[float, float]],
) -> None:
    assert consumption(operation, request_, response) == expected


def test_gateway_default_meter_uses_moto(gateway: Gateway, aws: Callable[..., Any]) -> None:
    ddb = aws("dynamodb")
    make_table(
        ddb,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    cap = gateway.capacity.capacity("catalog")
    assert cap is not None and (cap.on_demand, cap.rcu, cap.wcu) == (False, 1.0, 1.0)
