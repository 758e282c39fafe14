"""DynamoDB provisioned-capacity enforcement for the lab gateway (moto never throttles).

For each DynamoDB data-plane request passing through the gateway, the meter looks up the table's
billing mode and provisioned RCU/WCU (DescribeTable against moto, or ``describe`` when given:
moto's backend read in this process, ``local.py``; cached for ``cache_s``; an UpdateTable
through the gateway drops the cache entry), and meters consumption per table in
1-second buckets of the injectable clock. Simplifications, stated plainly because this is a
simulation of a region and not DynamoDB:

- a request is admitted while the current second's consumption is below the provisioned
  capacity and is then charged what it really consumed, so one large request may overdraw a
  second, as DynamoDB's own burst would allow; there is no 300-second burst bank;
- reads cost ``ceil(size / 4 KB)`` RCU per item (Query/Scan: per response), half that when not
  strongly consistent; writes cost ``ceil(size / 1 KB)`` WCU per item, sizes approximated by the
  item's JSON length; DeleteItem costs 1 WCU;
- capacity is per table only: global secondary indexes and transactions are not metered, and a
  throttled BatchGetItem/BatchWriteItem fails as a whole instead of returning unprocessed items;
- PAY_PER_REQUEST (on-demand) tables are never throttled.

A throttled request gets HTTP 400 with DynamoDB's ``ProvisionedThroughputExceededException``
(``exceptions.py``); ``responses.py`` is the gateway's side of it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

TARGET_PREFIX = "DynamoDB_20120810."
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


@dataclass(frozen=True)
class TableCapacity:
    on_demand: bool
    rcu: float
    wcu: float


@dataclass
class _Bucket:
    second: int = -1
    read: float = 0.0
    write: float = 0.0


def _size(doc: Any) -> int:
    return len(json.dumps(doc, separators=(",", ":")).encode()) if doc else 0


def _rcu(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def _wcu(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def tables_of(operation: str, request: dict[str, Any]) -> list[str]:
    """The tables a DynamoDB request touches."""
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return sorted((request.get("RequestItems") or {}).keys())
    name = request.get("TableName")
    return [name] if isinstance(name, str) else []


def consumption(
    operation: str, request: dict[str, Any], response: dict[str, Any]
) -> dict[str, tuple[float, float]]:
    """Table → (RCU, WCU) a completed request consumed."""
    consistent = bool(request.get("ConsistentRead"))
    name = request.get("TableName", "")
    if operation == "GetItem":
        return {name: (_rcu(_size(response.get("Item")), consistent), 0.0)}
    if operation in ("Query", "Scan"):
        total = sum(_size(i) for i in response.get("Items") or [])
        return {name: (_rcu(total, consistent), 0.0)}
    if operation == "BatchGetItem":
        out: dict[str, tuple[float, float]] = {}
        for table, items in (response.get("Responses") or {}).items():
            strong = bool((request.get("RequestItems") or {}).get(table, {}).get("ConsistentRead"))
            out[table] = (sum(_rcu(_size(i), strong) for i in items), 0.0)
        return out
    if operation == "PutItem":
        return {name: (0.0, _wcu(_size(request.get("Item"))))}
    if operation == "UpdateItem":
        size = _size(request.get("Key")) + _size(request.get("ExpressionAttributeValues"))
        return {name: (0.0, _wcu(size))}
    if operation == "DeleteItem":
        return {name: (0.0, 1.0)}
    if operation == "BatchWriteItem":
        out = {}
        for table, writes in (request.get("RequestItems") or {}).items():
            wcu = 0.0
            for w in writes:
                put = (w.get("PutRequest") or {}).get("Item")
                wcu += _wcu(_size(put)) if put else 1.0
            out[table] = (0.0, wcu)
        return out
    return {}


class CapacityMeter:
    """Per-table, per-second metering of DynamoDB requests against provisioned capacity."""

    def __init__(
        self,
        dynamodb_client: Any,
        *,
        clock: Callable[[], float] = time.time,
        cache_s: float = 1.0,
        describe: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self._ddb = dynamodb_client
        self._describe = describe
        self._clock = clock
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._tables: dict[str, tuple[float, TableCapacity | None]] = {}
        self._buckets: dict[str, _Bucket] = {}

    def capacity(self, table: str) -> TableCapacity | None:
        """The table's capacity (None: unknown to moto; let moto answer the request)."""
        now = self._clock()
        with self._lock:
            cached = self._tables.get(table)
            if cached and now - cached[0] < self._cache_s:
                return cached[1]
        desc: dict[str, Any] | None = None
        if self._describe is not None:
            try:
                desc = self._describe(table)
            except Exception:  # not found by name, or not readable: ask DescribeTable
                desc = None
        try:
            if desc is None:
                desc = self._ddb.describe_table(TableName=table)["Table"]
        except (ClientError, BotoCoreError):
            cap = None
        else:
            mode = (desc.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
            pt = desc.get("ProvisionedThroughput") or {}
            cap = TableCapacity(
                on_demand=mode == "PAY_PER_REQUEST",
                rcu=float(pt.get("ReadCapacityUnits") or 0),
                wcu=float(pt.get("WriteCapacityUnits") or 0),
            )
        with self._lock:
            self._tables[table] = (now, cap)
        return cap

    def invalidate(self, table: str | None = None) -> None:
        with self._lock:
            if table is None:
                self._tables.clear()
            else:
                self._tables.pop(table, None)

    def _bucket(self, table: str, second: int) -> _Bucket:
        bucket = self._buckets.setdefault(table, _Bucket())
        if bucket.second != second:
            bucket.second, bucket.read, bucket.write = second, 0.0, 0.0
        return bucket

    def admit(self, operation: str, request: dict[str, Any]) -> str | None:
        """None to let the request through, else the name of the table that is throttled."""
        reads, writes = operation in READS, operation in WRITES
        if not (reads or writes):
            return None
        second = math.floor(self._clock())
        for table in tables_of(operation, request):
            cap = self.capacity(table)
            if cap is None or cap.on_demand:
                continue
            with self._lock:
                bucket = self._bucket(table, second)
                if (reads and bucket.read >= cap.rcu) or (writes and bucket.write >= cap.wcu):
                    return table
        return None

    def charge(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        """Charge what a completed request consumed to its tables' current second."""
        second = math.floor(self._clock())
        for table, (rcu, wcu) in consumption(operation, request, response).items():
            with self._lock:
                bucket = self._bucket(table, second)
                bucket.read += rcu
                bucket.write += wcu
