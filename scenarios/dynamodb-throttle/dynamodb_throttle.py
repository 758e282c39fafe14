"""The ``dynamodb-throttle`` scenario: a DynamoDB table held at tiny provisioned capacity.

A provisioned table's read/write capacity (and its global secondary indexes', with
``include_indexes``) is lowered to the asked units — never raised; an on-demand table is switched
to provisioned mode at those units (AWS then needs every index's capacity too) and switched back
on revert. The revert handle, written before anything changes, holds the table's billing mode
and every capacity as ``DescribeTable`` reported them; the table's own tags hold the same
(``cdevops:original``), so ``cleanup`` restores the original even without the journal.

AWS limits that shape it: switching *to* on-demand is limited per rolling 24 hours (four times
today; once, in older rules) and ``DescribeTable`` shows only the last switch, so an on-demand
table that switched within the last 24 hours is refused before anything changes — the switch
back might be refused, leaving the table throttled. Capacity *decreases* are limited per day
too; that only affects the injection, whose refusal AWS reports and nothing is left changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import FaultError, GuardRefused, Inconclusive, RevertFailed
from cdevops_chaos.faults.aws import (
    aws_errors,
    error_code,
    original_tags,
    our_tag_keys,
    tagged_by_handle_run,
)
from cdevops_chaos.faults.base import Activation, BlastRadiusItem, FaultPlan, RevertHandle
from cdevops_chaos.faults.timed import TimedFault

KIND = "dynamodb-capacity"
ON_DEMAND = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"
SWITCH_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Capacity:
    """A table's billing mode and capacities: base (read, write) and per index (read, write).

    On-demand capacities carry no meaning (AWS reports 0/0; moto keeps whatever was last
    provisioned), so two on-demand capacities are the same when their indexes are."""

    mode: str
    read: int = 0
    write: int = 0
    indexes: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of_table(cls, table: dict[str, Any]) -> Capacity:
        mode = (table.get("BillingModeSummary") or {}).get("BillingMode") or PROVISIONED
        indexes = {g["IndexName"]: _units(g) for g in table.get("GlobalSecondaryIndexes") or []}
        return cls(mode, *_units(table), indexes=indexes)

    def same_as(self, other: Capacity) -> bool:
        if self.mode != other.mode or set(self.indexes) != set(other.indexes):
            return False
        return self.mode == ON_DEMAND or self == other

    def render(self) -> str:
        if self.mode == ON_DEMAND:
            return "on-demand"
        text = f"provisioned {self.read} RCU/{self.write} WCU"
        if self.indexes:
            text += " (" + ", ".join(f"{n} {r}/{w}" for n, (r, w) in self.indexes.items()) + ")"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "read": self.read,
            "write": self.write,
            "indexes": {n: list(rw) for n, rw in self.indexes.items()},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Capacity:
        return cls(
            mode=str(doc["mode"]),
            read=int(doc.get("read", 0)),
            write=int(doc.get("write", 0)),
            indexes={n: (int(rw[0]), int(rw[1])) for n, rw in (doc.get("indexes") or {}).items()},
        )

    def words(self) -> list[str]:
        """As tag words (``mode=PROVISIONED table=5/5 index:by-sku=5/5``): tag-safe characters."""
        out = [f"mode={self.mode}", f"table={self.read}/{self.write}"]
        out += [f"index:{n}={r}/{w}" for n, (r, w) in self.indexes.items()]
        return out

    @classmethod
    def from_words(cls, words: list[str]) -> Capacity:
        kv = dict(w.split("=", 1) for w in words)
        read, write = kv["table"].split("/")
        return cls(
            mode=kv["mode"],
            read=int(read),
            write=int(write),
            indexes={
                k.removeprefix("index:"): (int(v.split("/")[0]), int(v.split("/")[1]))
                for k, v in kv.items()
                if k.startswith("index:")
            },
        )


def throttled(original: Capacity, read: int, write: int, include_indexes: bool) -> Capacity:
    """The capacity during the fault: the asked units, never above what the table had."""
    if original.mode == ON_DEMAND:  # AWS needs every index's capacity to go provisioned
        return Capacity(PROVISIONED, read, write, {n: (read, write) for n in original.indexes})
    indexes = {
        n: (min(r, read), min(w, write)) if include_indexes else (r, w)
        for n, (r, w) in original.indexes.items()
    }
    return Capacity(PROVISIONED, min(original.read, read), min(original.write, write), indexes)


def update_request(current: Capacity, wanted: Capacity) -> dict[str, Any]:
    """UpdateTable members that move ``current`` to ``wanted`` ({} when nothing changes)."""
    if wanted.mode == ON_DEMAND:
        return {"BillingMode": ON_DEMAND} if current.mode != ON_DEMAND else {}
    switching = current.mode != PROVISIONED
    out: dict[str, Any] = {"BillingMode": PROVISIONED} if switching else {}
    if switching or (current.read, current.write) != (wanted.read, wanted.write):
        out["ProvisionedThroughput"] = _throughput(wanted.read, wanted.write)
    updates = [
        {"Update": {"IndexName": n, "ProvisionedThroughput": _throughput(r, w)}}
        for n, (r, w) in wanted.indexes.items()
        if n in current.indexes and (switching or current.indexes[n] != (r, w))
    ]
    if updates:
        out["GlobalSecondaryIndexUpdates"] = updates
    return out


def _units(holder: dict[str, Any]) -> tuple[int, int]:
    """(read, write) of a table's or an index's ``ProvisionedThroughput`` (0 when absent)."""
    pt = holder.get("ProvisionedThroughput") or {}
    return int(pt.get("ReadCapacityUnits") or 0), int(pt.get("WriteCapacityUnits") or 0)


def _throughput(read: int, write: int) -> dict[str, int]:
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def switch_back_refusal(table: dict[str, Any], now: datetime) -> str | None:
    """Why switching this on-demand table away and back could be refused by AWS, or None."""
    summary = table.get("BillingModeSummary") or {}
    last = summary.get("LastUpdateToPayPerRequestDateTime")
    if summary.get("BillingMode") != ON_DEMAND or not isinstance(last, datetime):
        return None
    if now - last >= SWITCH_WINDOW:
        return None
    return (
        f"table {table['TableName']} switched to on-demand at {last.isoformat(timespec='seconds')}"
        f"; AWS limits switches to on-demand per rolling 24 hours and DescribeTable shows only "
        f"the last one, so switching it back after the throttle could be refused until "
        f"{(last + SWITCH_WINDOW).isoformat(timespec='seconds')}, leaving it throttled"
    )


def manual_command(table: str, region: str, original: Capacity) -> str:
    """The AWS CLI command that puts ``original`` back, whatever the table's state now."""
    other = ON_DEMAND if original.mode == PROVISIONED else PROVISIONED
    request = {
        "TableName": table,
        **update_request(Capacity(other, indexes=original.indexes), original),
    }
    return (
        f"aws dynamodb update-table --region {region} --cli-input-json "
        f"'{json.dumps(request, separators=(',', ':'))}'"
    )


class DynamodbThrottle(TimedFault):
    scenario_id = "dynamodb-throttle"
    kind: ClassVar[str] = KIND
    # revert is a classmethod (cleanup calls it from a journal): its pacing lives on the class
    revert_timeout_s: ClassVar[float] = 600.0
    revert_poll_s: ClassVar[float] = 2.0

    @property
    def table(self) -> str:
        return str(self.parameters["table"]).rsplit("table/", 1)[-1]

    def _describe(self) -> dict[str, Any]:
        ddb = self.clients.client("dynamodb")
        try:
            return dict(ddb.describe_table(TableName=self.table)["Table"])
        except aws_errors() as err:
            if error_code(err) == "ResourceNotFoundException":
                raise Inconclusive(
                    f"no DynamoDB table {self.table} in {self.clients.region}",
                    hint="check parameters.table and the region; nothing was started",
                ) from err
            raise FaultError(
                f"cannot describe table {self.table}: {err}",
                hint="the caller needs dynamodb:DescribeTable",
            ) from err

    def _resolve(self) -> tuple[dict[str, Any], Capacity, Capacity]:
        table = self._describe()
        original = Capacity.of_table(table)
        p = self.parameters
        wanted = throttled(
            original,
            int(p.get("read_capacity_units") or 1),
            int(p.get("write_capacity_units") or 1),
            bool(p.get("include_indexes", True)),
        )
        if table.get("TableStatus") != "ACTIVE":
            raise FaultError(
                f"table {self.table} is {table.get('TableStatus')}, not ACTIVE",
                hint="wait until its current update ends; nothing was started",
            )
        if not update_request(original, wanted):
            raise Inconclusive(
                f"table {self.table} already has {original.render()}: at or below the asked "
                "units, so nothing would be throttled",
                hint="ask for fewer read/write capacity units; nothing was started",
            )
        refusal = switch_back_refusal(table, self.clock())
        if refusal:
            raise GuardRefused(
                refusal,
                hint="run it after that time, or throttle a provisioned table; nothing was started",
            )
        return table, original, wanted

    def plan(self) -> FaultPlan:
        table, original, wanted = self._resolve()
        notes = ["dry run: the table is only described"] if self.ctx.dry_run else []
        if original.mode == ON_DEMAND:
            notes.append("on-demand table: switched to provisioned mode and back on revert")
        return FaultPlan(
            description=(
                f"Sets DynamoDB table {self.table} from {original.render()} to "
                f"{wanted.render()} for {format_duration(self.duration_s)}, then back."
            ),
            blast_radius=(
                BlastRadiusItem(
                    "aws:dynamodb:table", table["TableArn"], f"{original.render()} now"
                ),
            ),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )

    def revert_handle(self) -> RevertHandle:
        table, original, wanted = self._resolve()
        return self.new_handle(
            KIND,
            table=self.table,
            table_arn=table["TableArn"],
            original=original.as_json(),
            throttled=wanted.as_json(),
        )

    def inject(self, handle: RevertHandle) -> RevertHandle:
        """Tag the table with the run and its original capacity, then lower the capacity.

        On failure whatever was done is reverted before FaultError is raised."""
        if self.ctx.dry_run:
            return handle
        ddb = self.clients.client("dynamodb")
        original = Capacity.from_json(handle["original"])
        wanted = Capacity.from_json(handle["throttled"])
        tags = {**self.tags, **original_tags(original.words())}
        try:
            ddb.tag_resource(
                ResourceArn=handle["table_arn"],
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
            handle["tagged"] = True
            ddb.update_table(TableName=self.table, **update_request(original, wanted))
            self.mark_began(handle)
        except aws_errors() as err:
            undone = self.revert(handle, self.clients)
            code = error_code(err)
            hint = (
                "AWS limits capacity decreases per table per day: try tomorrow or another table"
                if code == "LimitExceededException"
                else "the caller needs dynamodb:TagResource and dynamodb:UpdateTable"
            )
            raise FaultError(
                f"could not throttle {self.table}: {code or type(err).__name__}: {err} "
                f"(undone: {undone})",
                hint=hint,
            ) from err
        return handle

    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation:
        wanted = Capacity.from_json(handle["throttled"])

        def confirmed() -> bool:
            table = self._describe()
            return table.get("TableStatus") == "ACTIVE" and Capacity.of_table(table) == wanted

        return self.wait_confirmed(
            handle, timeout_s, confirmed, f"table {self.table} at {wanted.render()}"
        )

    @classmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        region = str(handle.get("region") or clients.region)
        ddb = clients.client("dynamodb", region=region)
        name = str(handle["table"])
        original = Capacity.from_json(handle["original"]) if handle.get("original") else None
        try:
            table = cls._wait_active(ddb, name)
            if table is None:
                return f"table {name} is gone: nothing to restore"
            tags = {
                t["Key"]: t["Value"]
                for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
            }
        except aws_errors() as err:
            raise RevertFailed(
                f"cannot read table {name} to restore it: {error_code(err)}: {err}",
                hint=_by_hand(name, region, original),
            ) from err
        ours = tagged_by_handle_run(tags, handle)
        if not ours and not handle.get("began_at"):
            return f"nothing to revert (table {name} was never changed by this run)"
        if original is None:
            raise RevertFailed(
                f"table {name} carries this run's tags but not its original capacity",
                hint="set its billing mode and capacity by hand, then remove its cdevops:* tags",
            )
        current = Capacity.of_table(table)
        request = update_request(current, original)
        try:
            if request:
                ddb.update_table(TableName=name, **request)
                table = cls._wait_active(ddb, name) or table
            if ours:
                ddb.untag_resource(ResourceArn=table["TableArn"], TagKeys=our_tag_keys(tags))
        except aws_errors() as err:
            raise RevertFailed(
                f"table {name} is still at {current.render()}, not {original.render()}: "
                f"{error_code(err)}: {err}",
                hint=_by_hand(name, region, original),
            ) from err
        now = Capacity.of_table(table)
        if not now.same_as(original):
            raise RevertFailed(
                f"table {name} is at {now.render()} after the revert, not {original.render()}",
                hint=_by_hand(name, region, original),
            )
        if not request:
            return f"nothing to restore (table {name} already at {original.render()})"
        return f"restored table {name} to {original.render()}"

    @classmethod
    def _wait_active(cls, ddb: Any, name: str) -> dict[str, Any] | None:
        """The table once ACTIVE (an update in flight refuses another); None when it is gone."""
        deadline = time.monotonic() + cls.revert_timeout_s
        while True:
            try:
                table = dict(ddb.describe_table(TableName=name)["Table"])
            except aws_errors() as err:
                if error_code(err) == "ResourceNotFoundException":
                    return None
                raise
            if table.get("TableStatus") == "ACTIVE" or time.monotonic() > deadline:
                return table
            time.sleep(cls.revert_poll_s)

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Tables our tags mark as throttled by a run, with the original their tags recorded."""
        return cls.tagged_orphans(
            clients,
            KIND,
            "dynamodb:table",
            lambda arn, words: {
                "table": arn.rsplit("table/", 1)[-1],
                "table_arn": arn,
                "original": Capacity.from_words(words).as_json() if words else None,
            },
        )


def _by_hand(name: str, region: str, original: Capacity | None) -> str:
    if original is None:
        return "set the table's billing mode and capacity by hand"
    return "run by hand: " + manual_command(name, region, original)
