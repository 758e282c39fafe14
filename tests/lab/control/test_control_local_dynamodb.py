"""The gateway's in-process GetItem and capacity reads give what moto itself answers (issue 12).

When the lab runs moto in its own process, the gateway reads a plain ``GetItem`` and a table's
capacity from moto's backend instead of calling moto over HTTP (``cdevops_lab/dynamodb/
local.py``). These tests run moto's app in this test process (``MotoServer``, as the lab does),
and check each answer against the one moto serves over HTTP for the same request, that every
request it does not handle is left to moto, and that metering still throttles the local reads.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cdevops_lab.clients import make_client
from cdevops_lab.dynamodb import local
from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.motoserver import MotoServer
from cdevops_lab.truth.events import EventLog
from tests.conftest import free_port
from tests.lab.control.conftest import FakeClock

THROTTLED = "ProvisionedThroughputExceededException"
ITEMS: list[dict[str, Any]] = [
    {"sku": {"S": "plain"}, "name": {"S": "lamp"}},
    {
        "sku": {"S": "every-type"},
        "price": {"N": "12.50"},
        "tags": {"SS": ["a", "b"]},
        "sizes": {"NS": ["1", "2"]},
        "stock": {"M": {"eu": {"N": "3"}, "us": {"L": [{"S": "x"}, {"BOOL": True}]}}},
        "gone": {"NULL": True},
        "ok": {"BOOL": False},
        "note": {"S": 'ünïcode "quoted"'},
    },
]


@pytest.fixture(scope="module")
def in_process() -> Iterator[str]:
    """moto's app served from this process, as the lab serves it; its endpoint."""
    server = MotoServer("127.0.0.1", 0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


@pytest.fixture
def table(in_process: str) -> str:
    """A fresh provisioned table holding ``ITEMS`` and one binary item; its name."""
    name = f"catalog-{uuid.uuid4().hex[:8]}"
    ddb = make_client("dynamodb", in_process, "us-east-1")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
    )
    for item in [*ITEMS, {"sku": {"S": "binary"}, "blob": {"B": b"\x00\x01"}}]:
        ddb.put_item(TableName=name, Item=item)
    return name


def moto_answer(endpoint: str, request: dict[str, Any]) -> tuple[int, Any]:
    """moto's own answer over HTTP to a GetItem ``request``: (status, JSON body)."""
    req = urllib.request.Request(
        endpoint,
        data=json.dumps(request).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("sku", ["plain", "every-type", "no-such-item"])
@pytest.mark.parametrize("consistent", [None, True])
def test_local_get_item_is_what_moto_answers(
    in_process: str, table: str, sku: str, consistent: bool | None
) -> None:
    request: dict[str, Any] = {"TableName": table, "Key": {"sku": {"S": sku}}}
    if consistent is not None:
        request["ConsistentRead"] = consistent
    body = local.get_item_body(request, "us-east-1", "testing")
    assert body is not None
    assert moto_answer(in_process, request) == (200, json.loads(body))


@pytest.mark.parametrize(
    "change",
    [
        {"Key": {"sku": {"S": "binary"}}},  # binary values: moto encodes them itself
        {"Key": {"other": {"S": "plain"}}},  # not the table's key: moto's ValidationException
        {"Key": {"sku": {"S": ""}}},  # an empty key value: moto's error
        {"Key": {}},
        {"TableName": "no-such-table"},  # moto's ResourceNotFoundException
        {"ProjectionExpression": "sku"},
        {"AttributesToGet": ["sku"]},
        {"ReturnConsumedCapacity": "TOTAL"},
    ],
)
def test_anything_but_a_plain_read_is_left_to_moto(table: str, change: dict[str, Any]) -> None:
    request = {"TableName": table, "Key": {"sku": {"S": "plain"}}, **change}
    assert local.get_item_body(request, "us-east-1", "testing") is None


def test_local_capacity_is_what_describe_table_says(in_process: str, table: str) -> None:
    described = make_client("dynamodb", in_process, "us-east-1").describe_table(TableName=table)
    read = local.capacity(table)
    assert read["BillingModeSummary"] == described["Table"]["BillingModeSummary"]
    for units in ("ReadCapacityUnits", "WriteCapacityUnits"):
        assert read["ProvisionedThroughput"][units] == 7 if units[0] == "R" else 3
        assert (
            read["ProvisionedThroughput"][units]
            == described["Table"]["ProvisionedThroughput"][units]
        )
    with pytest.raises(LookupError):
        local.capacity("no-such-table")


def test_a_gateway_on_its_own_moto_reads_locally_and_still_throttles(
    in_process: str, table: str
) -> None:
    clock = FakeClock()
    gw = Gateway(
        in_process, Effects(), EventLog(), port=free_port(), clock=clock, moto_in_process=True
    )
    gw.start()
    try:
        ddb = make_client("dynamodb", gw.url, "us-east-1")
        direct = make_client("dynamodb", in_process, "us-east-1")
        for sku in ("every-type", "binary", "no-such-item"):  # binary: forwarded to moto
            key = {"sku": {"S": sku}}
            via_gateway = ddb.get_item(TableName=table, Key=key)
            from_moto = direct.get_item(TableName=table, Key=key)
            assert via_gateway.get("Item") == from_moto.get("Item")
        assert via_gateway.get("Item") is None  # the last one: no such item
        ddb.update_table(
            TableName=table,
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 3},
        )
        clock.advance(1)
        outcomes = []
        for _ in range(4):
            try:
                ddb.get_item(TableName=table, Key={"sku": {"S": "plain"}})
                outcomes.append("ok")
            except ddb.exceptions.ClientError as err:
                outcomes.append(err.response["Error"]["Code"])
        # 1 RCU: two eventually consistent reads of a small item, then throttled
        assert outcomes == ["ok", "ok", THROTTLED, THROTTLED]
    finally:
        gw.stop()


def test_the_local_reads_need_no_http_to_moto(table: str) -> None:
    """With moto's HTTP server gone, a local-mode gateway still reads items and capacity from
    moto's backend in this process: proof that it no longer calls moto for them."""
    other = MotoServer("127.0.0.1", 0)
    other.start()
    endpoint = f"http://127.0.0.1:{other.get_host_and_port()[1]}"
    other.stop()  # the backend (this process's) keeps the table; its HTTP server is gone
    gw = Gateway(endpoint, Effects(), EventLog(), port=free_port(), moto_in_process=True)
    gw.start()
    try:
        ddb = make_client("dynamodb", gw.url, "us-east-1")
        item = ddb.get_item(TableName=table, Key={"sku": {"S": "plain"}})["Item"]
        assert item == ITEMS[0]
        assert gw.capacity.capacity(table) is not None  # provisioned, read without DescribeTable
        with pytest.raises(ddb.exceptions.ClientError):  # binary: forwarded, moto is gone
            ddb.get_item(TableName=table, Key={"sku": {"S": "binary"}})
    finally:
        gw.stop()
