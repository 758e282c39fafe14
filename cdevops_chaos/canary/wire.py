"""The contract between ``CanaryRunner`` and its writer process: the job file and the stream.

The runner writes a job file (JSON: the canary spec, the run id, and for a DynamoDB canary what
``ClientFactory`` needs to reach the target — kind, region, profile, endpoint; credentials, and
an HTTP canary's resolved header values, travel in the child's environment, never in a file:
the spec holds only their references). The writer process streams one JSON line per
finished write (``seq``, ``sent_at``, ``acked_at``, ``status``) to a file, between a ``ready``
line (the schedule's start) and a ``stopped`` line (what the schedule did). A line is written
whole and flushed, so a reader may follow the file while it grows and ignore a torn last line.
No I/O here beyond encoding and decoding.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cdevops_chaos.canary.ops import WriteOutcome
from cdevops_chaos.experiment.model import DynamoDbCanary, HttpAuth, HttpCanary, ValueRef


@dataclass(frozen=True)
class TargetSpec:
    """What the writer process's ``ClientFactory`` needs (``aws.clients.Target`` fields)."""

    kind: str = "lab"
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    default_region: str = "us-east-1"


@dataclass(frozen=True)
class Job:
    spec: HttpCanary | DynamoDbCanary
    run_id: str
    target: TargetSpec = field(default_factory=TargetSpec)

    def dumps(self) -> str:
        return json.dumps(
            {"spec": asdict(self.spec), "run_id": self.run_id, "target": asdict(self.target)}
        )

    @classmethod
    def loads(cls, text: str) -> Job:
        raw = json.loads(text)
        spec_raw = dict(raw["spec"])
        spec: HttpCanary | DynamoDbCanary = (
            _http_canary(spec_raw) if spec_raw.get("type") == "http" else DynamoDbCanary(**spec_raw)
        )
        return cls(spec, str(raw["run_id"]), TargetSpec(**raw.get("target") or {}))


def _ref(raw: Any) -> ValueRef | None:
    return ValueRef(**raw) if isinstance(raw, dict) else None


def _http_canary(raw: dict[str, Any]) -> HttpCanary:
    """``asdict``'s output back into the spec (its header and auth references nested)."""
    headers = tuple((str(name), ValueRef(**ref)) for name, ref in raw.pop("headers", None) or [])
    auth_raw = raw.pop("auth", None)
    auth = None
    if isinstance(auth_raw, dict):
        auth = HttpAuth(
            type=auth_raw["type"],
            token=_ref(auth_raw.get("token")),
            username=_ref(auth_raw.get("username")),
            password=_ref(auth_raw.get("password")),
        )
    return HttpCanary(**raw, headers=headers, auth=auth)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def write_line(outcome: WriteOutcome) -> str:
    return json.dumps(
        {
            "seq": outcome.seq,
            "sent_at": outcome.sent_at.isoformat(),
            "acked_at": _iso(outcome.acked_at),
            "status": outcome.status,
        }
    )


def event_line(event: str, **detail: Any) -> str:
    return json.dumps({"event": event, **detail})


@dataclass
class Stream:
    """What a stream file says so far."""

    writes: dict[int, WriteOutcome] = field(default_factory=dict)
    ready: dict[str, Any] | None = None
    stopped: dict[str, Any] | None = None


def read_stream(text: str) -> Stream:
    """Parse a stream file; a torn or foreign line is skipped (the file may still be growing)."""
    out = Stream()
    for line in text.splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        if raw.get("event") == "ready":
            out.ready = raw
        elif raw.get("event") == "stopped":
            out.stopped = raw
        elif isinstance(raw.get("seq"), int) and isinstance(raw.get("sent_at"), str):
            acked = raw.get("acked_at")
            out.writes[raw["seq"]] = WriteOutcome(
                raw["seq"],
                datetime.fromisoformat(raw["sent_at"]),
                datetime.fromisoformat(acked) if isinstance(acked, str) else None,
                str(raw.get("status")),
            )
    return out
