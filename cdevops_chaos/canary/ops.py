"""One write and one read of one canary record, over HTTP or DynamoDB: the canary's only I/O.

``HttpRecords`` talks to the service's own API with the standard library (no boto3, so the
writer process of an ``http`` canary starts in a blink); ``DynamoDbRecords`` uses clients built
by ``cdevops_chaos.aws.clients.ClientFactory`` with one attempt per call and the canary's own
timeouts (a retried write would blur when it was acknowledged). A write is stamped ``sent_at``
by its caller just before the request goes out and ``acked_at`` the moment a 2xx response
arrived (before its body is read); anything else leaves it unacknowledged with the status code
or error class that explains why. A read says ``present``, ``absent`` (the service answered
that it has no such record) or ``no-answer`` (5xx, timeouts, throttling: it says nothing about
the data). Scheduling lives in ``schedule.py``, retrying reads in ``readback.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory

Now = Callable[[], datetime]

# Statuses that mean "the record is not there", as opposed to "the read itself failed".
_ABSENT = {404, 410}


def utc_now() -> datetime:
    return datetime.now(UTC)


def record_id(run_id: str, seq: int) -> str:
    """The id of canary record ``seq`` of a run (documented in docs/journal.md)."""
    return f"canary-{run_id}-{seq}"


@dataclass(frozen=True)
class WriteOutcome:
    """What one write got: ``acked_at`` None when the service did not acknowledge it."""

    seq: int
    sent_at: datetime
    acked_at: datetime | None
    status: str


class ReadResult(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    NO_ANSWER = "no-answer"


@dataclass(frozen=True)
class ReadOutcome:
    result: ReadResult
    status: str


class Records(Protocol):
    """Where canary records are written and read back."""

    def write(self, seq: int, sent_at: datetime) -> WriteOutcome: ...

    def read(self, seq: int) -> ReadOutcome: ...


def _error_status(err: BaseException) -> str:
    """A short, stable name for why a request got no HTTP status."""
    if isinstance(err, urllib.error.URLError) and isinstance(err.reason, BaseException):
        err = err.reason
    if isinstance(err, TimeoutError):
        return "timeout"
    return type(err).__name__


# urllib raises these for a refused, reset, timed-out or garbled exchange
_TRANSPORT_ERRORS = (OSError, ValueError, http.client.HTTPException)


class HttpRecords:
    """Canary records through the service's own write and read endpoints."""

    def __init__(
        self,
        spec: HttpCanary,
        run_id: str,
        now: Now = utc_now,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.run_id = run_id
        self.now = now
        # resolved values (``canary.credentials``): kept in memory only
        self.headers = dict(headers or {})

    def body(self, seq: int, sent_at: datetime) -> bytes:
        """The write's body: the spec's template with its fields filled, or a JSON object."""
        rid = record_id(self.run_id, seq)
        if self.spec.body is None:
            return json.dumps({"id": rid, "seq": seq, "sent_at": sent_at.isoformat()}).encode()
        text = self.spec.body
        for name, value in (
            ("{id}", rid),
            ("{seq}", str(seq)),
            ("{sent_at}", sent_at.isoformat()),
            ("{run_id}", self.run_id),
        ):
            text = text.replace(name, value)
        return text.encode()

    def write(self, seq: int, sent_at: datetime) -> WriteOutcome:
        request = urllib.request.Request(
            self.spec.write_url,
            data=self.body(seq, sent_at),
            method=self.spec.write_method,
            headers={"Content-Type": "application/json", **self.headers},
        )
        try:
            response = urllib.request.urlopen(request, timeout=self.spec.timeout)
        except urllib.error.HTTPError as err:
            err.close()
            return WriteOutcome(seq, sent_at, None, str(err.code))
        except _TRANSPORT_ERRORS as err:
            return WriteOutcome(seq, sent_at, None, _error_status(err))
        # The status line has arrived: that is the acknowledgement, whatever the body does.
        arrived = self.now()
        with response:
            status = int(response.status)
            with contextlib.suppress(*_TRANSPORT_ERRORS):
                response.read()
        acked = arrived if 200 <= status < 300 else None
        return WriteOutcome(seq, sent_at, acked, str(status))

    def read(self, seq: int) -> ReadOutcome:
        url = self.spec.read_url.replace("{id}", record_id(self.run_id, seq))
        request = urllib.request.Request(url, method=self.spec.read_method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.spec.timeout) as response:
                response.read()
                status = int(response.status)
        except urllib.error.HTTPError as err:
            err.close()
            absent = err.code in _ABSENT
            return ReadOutcome(ReadResult.ABSENT if absent else ReadResult.NO_ANSWER, str(err.code))
        except _TRANSPORT_ERRORS as err:
            return ReadOutcome(ReadResult.NO_ANSWER, _error_status(err))
        # only a 200 shows the record; another 2xx/3xx is not an answer about it
        return ReadOutcome(
            ReadResult.PRESENT if status == 200 else ReadResult.NO_ANSWER, str(status)
        )


def dynamodb_client(clients: ClientFactory, region: str | None, timeout: float) -> Any:
    """A DynamoDB client for the canary: one attempt per call, the canary's timeouts."""
    return clients.client(
        "dynamodb",
        region,
        # total_max_attempts counts the first try (botocore's max_attempts counts retries)
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=timeout,
        read_timeout=timeout,
    )


class DynamoDbRecords:
    """Canary items in a table; read back (consistent read) from ``read_region`` when set."""

    def __init__(
        self, spec: DynamoDbCanary, run_id: str, clients: ClientFactory, now: Now = utc_now
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)
        self.spec = spec
        self.run_id = run_id
        self.now = now
        self._clients = clients
        self._writer = dynamodb_client(clients, spec.region, spec.timeout)

    def _status(self, err: Exception) -> str:
        response = getattr(err, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
        return type(err).__name__

    def write(self, seq: int, sent_at: datetime) -> WriteOutcome:
        spec = self.spec
        item = {
            spec.key: {"S": record_id(self.run_id, seq)},
            "seq": {"N": str(seq)},
            "sent_at": {"S": sent_at.isoformat()},
        }
        try:
            self._writer.put_item(TableName=spec.table, Item=item)
        except self._errors as err:
            return WriteOutcome(seq, sent_at, None, self._status(err))
        return WriteOutcome(seq, sent_at, self.now(), "200")

    def read(self, seq: int) -> ReadOutcome:
        spec = self.spec
        reader = dynamodb_client(self._clients, spec.read_region or spec.region, spec.timeout)
        try:
            item = reader.get_item(
                TableName=spec.table,
                Key={spec.key: {"S": record_id(self.run_id, seq)}},
                ConsistentRead=True,
            )
        except self._errors as err:
            return ReadOutcome(ReadResult.NO_ANSWER, self._status(err))
        return ReadOutcome(ReadResult.PRESENT if "Item" in item else ReadResult.ABSENT, "200")


def records_for(
    spec: HttpCanary | DynamoDbCanary,
    run_id: str,
    clients: ClientFactory | None,
    now: Now = utc_now,
    headers: Mapping[str, str] | None = None,
) -> Records:
    """The records of a canary spec (a DynamoDB canary needs the target's client factory;
    an HTTP canary sends ``headers``, resolved by ``canary.credentials``)."""
    if isinstance(spec, HttpCanary):
        return HttpRecords(spec, run_id, now, headers)
    if clients is None:
        raise ValueError("a dynamodb canary needs a client factory")
    return DynamoDbRecords(spec, run_id, clients, now)
