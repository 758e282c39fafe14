"""``GetItem`` read straight from the lab's own in-process moto, without an HTTP hop to it.

Part of the lab's simulation of a region. The shop's every catalog read is a DynamoDB
``GetItem`` through the gateway, which metered it and then forwarded it over HTTP to moto
server *in the same process*, where moto parsed it again and serialised a few attribute values
through botocore's model: about a quarter of the idle lab's CPU (issue 12). When the lab runs
moto in its own process, the gateway reads a plain ``GetItem`` (table by name, key, optional
``ConsistentRead``, no consumed-capacity report) from moto's backend here and answers the same
JSON moto would; any other request, and any case moto would refuse or answer differently (no
such table, a bad key, binary attributes), returns None and is forwarded to moto as before.
Likewise the capacity meter reads a table's billing mode and throughput (``capacity``) from
moto's backend instead of calling DescribeTable each second. Capacity metering and throttling
stay in ``models.py`` and ``responses.py``. Never used against a moto server in
another process (tests): its backend is not this process's.
"""

from __future__ import annotations

import json
from typing import Any

from cdevops_lab.clients import DUMMY_KEY
from cdevops_lab.motoserver import backend


def _backend(region: str, access_key: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return backend(dynamodb_backends, region, access_key)


PLAIN = frozenset({"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"})


def get_item_body(request: dict[str, Any], region: str, access_key: str) -> bytes | None:
    """moto's answer body to a plain ``GetItem`` ``request``, or None: forward it to moto."""
    name, key = request.get("TableName"), request.get("Key")
    if (
        not set(request) <= PLAIN
        or request.get("ReturnConsumedCapacity", "NONE") != "NONE"
        or not isinstance(name, str)
        or not isinstance(key, dict)
        or not key
    ):
        return None
    try:
        from moto.dynamodb.models.utilities import dynamo_to_dict

        tables = _backend(region, access_key)
        table = tables.tables.get(name)  # by name: an ARN, or a table moto lacks, goes to moto
        if table is None or not all(k in table.attribute_keys for k in key):
            return None
        if any(not next(iter(value.values())) for value in key.values()):
            return None  # an empty key value: moto's own validation error
        item = tables.get_item(name, key, [])
        result = {} if item is None else {"Item": dynamo_to_dict(item.describe_attrs(None)["Item"])}
        return json.dumps(result).encode()  # binary values (bytes) raise: moto encodes them
    except Exception:  # whatever moto would refuse, moto answers
        return None


def capacity(name: str, region: str = "us-east-1", access_key: str = DUMMY_KEY) -> dict[str, Any]:
    """What DescribeTable says of table ``name``'s capacity (``BillingModeSummary``,
    ``ProvisionedThroughput``); LookupError when moto has no table of that name (an ARN...)."""
    table = _backend(region, access_key).tables.get(name)
    if table is None:
        raise LookupError(name)
    return {
        "BillingModeSummary": {"BillingMode": table.billing_mode},
        "ProvisionedThroughput": dict(table.throughput),
    }
