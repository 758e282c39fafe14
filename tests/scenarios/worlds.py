"""What the scenario tests build on moto server (a table, a function) and how they compare the
describe output before and after a fault."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory

# Fields AWS itself changes when capacity moves and back (when, and how many decreases today):
# they record history, not state, so "restored exactly" cannot include them.
_HISTORY = ("LastIncreaseDateTime", "LastDecreaseDateTime", "NumberOfDecreasesToday")


def make_table(
    clients: ClientFactory,
    name: str,
    *,
    provisioned: tuple[int, int] | None,
    index: tuple[int, int] | None,
) -> str:
    """A table, provisioned (read, write) or on-demand (None), with one index ``by-sku``
    (on-demand tables always get one; provisioned ones when ``index`` is given)."""
    kw: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "sku", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "Tags": [{"Key": "team", "Value": "shop"}],
    }
    gsi: dict[str, Any] = {
        "IndexName": "by-sku",
        "KeySchema": [{"AttributeName": "sku", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    if provisioned is None:
        kw["BillingMode"] = "PAY_PER_REQUEST"
        kw["GlobalSecondaryIndexes"] = [gsi]
    else:
        kw["BillingMode"] = "PROVISIONED"
        kw["ProvisionedThroughput"] = {
            "ReadCapacityUnits": provisioned[0],
            "WriteCapacityUnits": provisioned[1],
        }
        if index is not None:
            gsi["ProvisionedThroughput"] = {
                "ReadCapacityUnits": index[0],
                "WriteCapacityUnits": index[1],
            }
            kw["GlobalSecondaryIndexes"] = [gsi]
        else:
            kw["AttributeDefinitions"] = kw["AttributeDefinitions"][:1]
    return str(clients.client("dynamodb").create_table(**kw)["TableDescription"]["TableArn"])


def comparable_table(clients: ClientFactory, name: str) -> dict[str, Any]:
    """The whole DescribeTable output, minus the capacity history fields (``_HISTORY``).

    On-demand tables also lose ``ProvisionedThroughput``: AWS reports 0/0 for them, while moto
    keeps whatever was provisioned last, a moto divergence and not a state the fault could set
    (UpdateTable refuses throughput together with PAY_PER_REQUEST)."""
    table = json.loads(
        json.dumps(clients.client("dynamodb").describe_table(TableName=name)["Table"], default=str)
    )
    on_demand = (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST"
    for holder in [table, *table.get("GlobalSecondaryIndexes", [])]:
        if on_demand:
            holder.pop("ProvisionedThroughput", None)
            continue
        for key in _HISTORY:
            holder.get("ProvisionedThroughput", {}).pop(key, None)
    return dict(table)


def make_function(clients: ClientFactory, name: str, reserved: int | None) -> str:
    """A Lambda function (never invoked: moto would need Docker for that)."""
    iam = clients.client("iam")
    try:
        role = iam.get_role(RoleName="fn-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return 1\n")
    lam = clients.client("lambda")
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": code.getvalue()},
        Tags={"team": "shop"},
    )["FunctionArn"]
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return str(arn)


def comparable_function(clients: ClientFactory, name: str) -> dict[str, Any]:
    """GetFunction (configuration, tags, concurrency) plus GetFunctionConcurrency, minus the
    presigned code URL, which is signed anew on every call."""
    lam = clients.client("lambda")
    doc = lam.get_function(FunctionName=name)
    doc.pop("ResponseMetadata", None)
    doc.get("Code", {}).pop("Location", None)
    concurrency = lam.get_function_concurrency(FunctionName=name)
    concurrency.pop("ResponseMetadata", None)
    return dict(json.loads(json.dumps({**doc, "concurrency": concurrency}, default=str)))
