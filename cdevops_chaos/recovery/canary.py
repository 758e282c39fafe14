"""Canary writers: sequenced records written through the service during a run, read back after.

A ``CanaryRunner`` writes one record every ``interval`` on a background thread from before the
fault until after recovery, remembering which writes the service acknowledged and when; after
recovery ``read_back`` asks for every record and marks each durable or not. ``rpo.measure_rpo``
turns the result into the data-loss window. Two kinds: ``http`` (the service's own write and read
endpoints, stdlib urllib only) and ``dynamodb`` (a table through the target's client factory,
optionally read back from another region's replica). A write that errors or times out is simply
unacknowledged; the canary never raises into the run.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary
from cdevops_chaos.recovery.rpo import CanaryWrite, measure_rpo

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory


class Clock(Protocol):
    """Where the canary reads the time; injected so tests control the timestamps."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# Statuses that mean "the record is not there", as opposed to "the read itself failed".
_ABSENT = {404, 410}
_READ_ATTEMPTS = 3


def record_id(run_id: str, seq: int) -> str:
    return f"canary-{run_id}-{seq}"


class CanaryRunner:
    """Writes sequenced canary records in the background and reads them back on demand."""

    def __init__(
        self,
        spec: HttpCanary | DynamoDbCanary,
        run_id: str,
        clients: ClientFactory | None = None,
        clock: Clock | None = None,
    ) -> None:
        if isinstance(spec, DynamoDbCanary) and clients is None:
            raise ValueError("a dynamodb canary needs a client factory")
        self.spec = spec
        self.run_id = run_id
        self.clients = clients
        self.clock: Clock = clock or SystemClock()
        self._writes: list[CanaryWrite] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def writes(self) -> list[CanaryWrite]:
        """A snapshot of the writes so far (safe while the writer runs)."""
        with self._lock:
            return list(self._writes)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the canary is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"canary-{self.run_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop writing; waits for the write in flight (bounded by the write timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        seq = 0
        # Fixed-rate pacing on the monotonic clock, so the write latency does not stretch the
        # interval (the data-loss window is only as fine as the writes are dense). The injected
        # clock stamps the records; Event.wait paces them and wakes at once on stop().
        next_at = time.monotonic()
        while not self._stop.is_set():
            seq += 1
            sent_at = self.clock.now()
            acked = self._write(seq, sent_at)
            write = CanaryWrite(seq, sent_at, self.clock.now() if acked else None, None)
            with self._lock:
                self._writes.append(write)
            next_at += self.spec.interval
            now = time.monotonic()
            if next_at < now:  # a slow write: carry on from now rather than burst to catch up
                next_at = now
            self._stop.wait(next_at - now)

    def _write(self, seq: int, sent_at: datetime) -> bool:
        rid = record_id(self.run_id, seq)
        if isinstance(self.spec, HttpCanary):
            body = json.dumps({"id": rid, "seq": seq, "sent_at": sent_at.isoformat()}).encode()
            request = urllib.request.Request(
                self.spec.write_url,
                data=body,
                method=self.spec.write_method,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.spec.timeout) as response:
                    response.read()
                    return 200 <= response.status < 300
            except urllib.error.HTTPError as err:
                err.close()
                return False
            except (OSError, ValueError):  # refused, reset, timed out, bad URL
                return False
        return self._put_item(rid, seq, sent_at)

    def _dynamodb(self, region: str | None) -> Any:
        assert self.clients is not None
        return self.clients.client("dynamodb", region)

    def _put_item(self, rid: str, seq: int, sent_at: datetime) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        spec = self.spec
        assert isinstance(spec, DynamoDbCanary)
        try:
            self._dynamodb(spec.region).put_item(
                TableName=spec.table,
                Item={
                    spec.key: {"S": rid},
                    "seq": {"N": str(seq)},
                    "sent_at": {"S": sent_at.isoformat()},
                },
            )
        except (BotoCoreError, ClientError):
            return False
        return True

    def read_back(self) -> list[CanaryWrite]:
        """Every write so far with ``durable`` set from reading its record back now."""
        return [replace(w, durable=self._readable(w.seq)) for w in self.writes]

    def _readable(self, seq: int) -> bool:
        rid = record_id(self.run_id, seq)
        if isinstance(self.spec, HttpCanary):
            return self._http_readable(self.spec, rid)
        return self._item_readable(self.spec, rid)

    @staticmethod
    def _http_readable(spec: HttpCanary, rid: str) -> bool:
        url = spec.read_url.format(id=rid)
        for _ in range(_READ_ATTEMPTS):
            try:
                with urllib.request.urlopen(url, timeout=spec.timeout) as response:
                    response.read()
                    return bool(response.status == 200)
            except urllib.error.HTTPError as err:
                err.close()
                if err.code in _ABSENT:
                    return False
            except (OSError, ValueError):
                continue
        # A record we could not read after retries is not confirmed durable: fail closed.
        return False

    def _item_readable(self, spec: DynamoDbCanary, rid: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._dynamodb(spec.read_region or spec.region)
        for _ in range(_READ_ATTEMPTS):
            try:
                item = client.get_item(
                    TableName=spec.table, Key={spec.key: {"S": rid}}, ConsistentRead=True
                )
            except (BotoCoreError, ClientError):
                continue
            return "Item" in item
        return False


def canary_block(spec: HttpCanary | DynamoDbCanary, writes: list[CanaryWrite]) -> dict[str, Any]:
    """The journal's ``cdevops.canary`` object (docs/journal.md) for these writes."""
    rpo = measure_rpo(writes)

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "type": spec.type,
        "interval_s": spec.interval,
        "writes": [
            {
                "seq": w.seq,
                "sent_at": iso(w.sent_at),
                "acked_at": iso(w.acked_at),
                "durable": w.durable,
            }
            for w in writes
        ],
        "lost": list(rpo.lost_seqs),
        "acked": rpo.acked,
        "unacked": rpo.unacked,
    }
