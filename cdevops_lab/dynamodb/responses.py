"""The lab gateway's DynamoDB handling: meter each data-plane request against the table's capacity.

Before forwarding, a request to a table whose current second is used up is refused with DynamoDB's
throttling error (``exceptions.py``); after moto's answer, the request is charged what it really
consumed (``models.CapacityMeter``). A table's capacity change through the gateway drops the
cached capacity at once. With ``local`` (moto in this process), a plain ``GetItem`` is read from
moto's backend instead of forwarded (``local.py``). Part of a simulation of a region, not
DynamoDB.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from cdevops_lab.dynamodb.exceptions import THROTTLE_CODE, throttle_body
from cdevops_lab.dynamodb.local import get_item_body
from cdevops_lab.dynamodb.models import CapacityMeter

Reply = tuple[int, dict[str, str], bytes]
Forward = Callable[[str, str, dict[str, str], bytes], Reply]


class DynamoDbResponses:
    """Capacity enforcement around the forwarding of DynamoDB requests to moto."""

    def __init__(
        self,
        capacity: CapacityMeter,
        forward: Forward,
        count: Callable[[str], None],
        *,
        local: bool = False,
    ):
        self.capacity = capacity
        self._forward = forward
        self._count = count
        self._local = local  # moto runs in this process: plain GetItems are read from it

    def dispatch(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        operation: str,
        *,
        region: str = "us-east-1",
        access_key: str = "",
    ) -> Reply:
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            request = {}
        if not isinstance(request, dict):
            request = {}
        throttled = self.capacity.admit(operation, request)
        if throttled:
            payload = throttle_body(throttled)
            self._count(THROTTLE_CODE)
            return 400, self._json_headers(payload), payload
        local = None
        if self._local and operation == "GetItem":
            local = get_item_body(request, region, access_key)
        if local is not None:
            status, out_headers, payload = 200, self._json_headers(local), local
        else:
            status, out_headers, payload = self._forward(method, raw_path, headers, body)
        if operation in ("UpdateTable", "DeleteTable", "CreateTable"):
            self.capacity.invalidate(request.get("TableName"))
        elif status == 200:
            try:
                response: Any = json.loads(payload or b"{}")
            except json.JSONDecodeError:
                response = {}
            self.capacity.charge(operation, request, response if isinstance(response, dict) else {})
        return status, out_headers, payload

    @staticmethod
    def _json_headers(payload: bytes) -> dict[str, str]:
        """The headers of a DynamoDB answer (botocore checks the CRC32 of the body)."""
        return {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amz-crc32": str(zlib.crc32(payload)),
            "x-amzn-RequestId": str(uuid.uuid4()),
        }
