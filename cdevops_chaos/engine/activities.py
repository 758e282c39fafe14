"""What the journal keeps of a Chaos Toolkit activity: its provider, redacted arguments, targets.

``activity_record`` turns an activity of the method or a rollback into an ``ActivityRecord``
before it runs (so a killed run's journal still says what was being done), ``finish_record``
fills in its outcome from chaoslib's run record. Arguments are shown as chaoslib will call the
provider — configuration substituted — except that every value coming from a secret, and every
argument whose name says it is a credential, reads ``<redacted>``. ``targets`` lists the AWS
resources an activity names in its arguments or its output (instance ids, subnets, groups,
zones, ARNs), so a chaosaws ``stop_instances`` shows the instances it stopped. Pure functions:
nothing here calls chaoslib's providers or AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from cdevops_chaos.journal.model import ActivityRecord, BlastItem

REDACTED = "<redacted>"
# argument names that hold credentials whatever their value's origin
_SECRET_NAME = re.compile(r"(pass(word)?|secret|token|credential|api[_-]?key|auth)", re.I)
# AWS resource ids by prefix; ARNs are taken whole
_ID_KINDS = {
    "i": "ec2:instance",
    "subnet": "ec2:subnet",
    "sg": "ec2:security-group",
    "vpc": "ec2:vpc",
    "acl": "ec2:network-acl",
    "eni": "ec2:network-interface",
    "vol": "ec2:volume",
    "ami": "ec2:image",
}
_AWS_ID = re.compile(r"^(i|subnet|sg|vpc|acl|eni|vol|ami)-[0-9a-f]{8,17}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:")
# chaosaws argument names that name what an action works on (by name, not by id)
_NAMED_ARGS = {
    "az": "availability-zone",
    "availability_zone": "availability-zone",
    "azs": "availability-zone",
    "asg_names": "autoscaling:group",
    "asg_name": "autoscaling:group",
    "cluster": "ecs:cluster",
    "cluster_name": "cluster",
    "service": "ecs:service",
    "function_name": "lambda:function",
    "db_instance_identifier": "rds:db-instance",
    "db_cluster_identifier": "rds:db-cluster",
    "table_name": "dynamodb:table",
    "load_balancer_names": "elb:load-balancer",
    "tg_names": "elbv2:target-group",
    "bucket_name": "s3:bucket",
}


def _secret_values(secrets: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for scope in secrets.values():
        if isinstance(scope, Mapping):
            out += [str(v) for v in scope.values() if v not in (None, "")]
    return out


def redacted_arguments(
    arguments: Any, configuration: Mapping[str, Any], secrets: Mapping[str, Any]
) -> Any:
    """``arguments`` with configuration substituted and secrets replaced by ``<redacted>``."""
    from chaoslib import substitute

    # substitute against secrets whose every value is the marker: a ${secret} reads <redacted>
    masked = {
        scope: {k: REDACTED for k in values} if isinstance(values, Mapping) else values
        for scope, values in secrets.items()
    }
    shown = substitute(arguments, dict(configuration), masked) if arguments else arguments
    return _mask(shown, _secret_values(secrets))


def _mask(value: Any, secret_values: list[str], name: str = "") -> Any:
    if name and _SECRET_NAME.search(name) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): _mask(v, secret_values, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, secret_values) for v in value]
    if isinstance(value, str):
        for secret in secret_values:
            if secret and secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def activity_record(
    raw: Mapping[str, Any],
    phase: str,
    configuration: Mapping[str, Any],
    secrets: Mapping[str, Any],
) -> ActivityRecord:
    """The journal's record of ``raw`` before it runs (no clock, no outcome yet)."""
    provider = raw.get("provider") if isinstance(raw.get("provider"), Mapping) else {}
    assert isinstance(provider, Mapping)
    kind = str(provider.get("type") or "") or None
    module = func = None
    if kind == "python":
        module, func = str(provider.get("module") or ""), str(provider.get("func") or "")
    elif kind == "process":
        module = str(provider.get("path") or "")
    elif kind == "http":
        module = str(provider.get("url") or "")
        module = str(redacted_arguments(module, configuration, secrets))
    arguments = redacted_arguments(provider.get("arguments"), configuration, secrets)
    record = ActivityRecord(
        name=str(raw.get("name") or raw.get("ref") or ""),
        type=str(raw.get("type") or "action"),
        phase=phase,
        provider=kind,
        module=module,
        func=func,
        arguments=arguments,
    )
    record.targets = _targets(arguments, None)
    return record


def finish_record(record: ActivityRecord, run: Mapping[str, Any], dry: bool) -> None:
    """Fill in clock, outcome, error and targets from chaoslib's run record."""
    record.started_at = _time(run.get("start")) or record.started_at
    record.ended_at = _time(run.get("end")) or record.ended_at
    status = run.get("status")
    record.status = "skipped" if dry and status == "succeeded" else str(status or "failed")
    exception = run.get("exception")
    if isinstance(exception, list) and exception:
        record.error = str(exception[-1]).strip()
    elif isinstance(exception, str):
        record.error = exception.strip()
    record.targets = _targets(record.arguments, run.get("output"))


def failed_record(record: ActivityRecord, error: BaseException | None, at: datetime) -> None:
    """An activity that did not return a run record (interrupted, or chaoslib itself raised)."""
    record.ended_at = at
    record.status = "failed"
    if error is None:
        record.error = "did not return"
    else:
        record.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _targets(arguments: Any, output: Any) -> list[BlastItem]:
    """Resources named by the arguments (by id or by chaosaws argument name) or the output."""
    found: dict[tuple[str, str], BlastItem] = {}
    for key, value in _walk(arguments):
        kind = _NAMED_ARGS.get(key)
        if kind and isinstance(value, str) and value and value != REDACTED:
            found.setdefault((kind, value), BlastItem(kind, value, "named in the arguments"))
    for source, data in (("named in the arguments", arguments), ("in the output", output)):
        for _, value in _walk(data):
            if not isinstance(value, str):
                continue
            if _AWS_ID.match(value):
                kind = _ID_KINDS[value.split("-", 1)[0]]
            elif _ARN.match(value):
                kind = value.split(":")[2]
            else:
                continue
            found.setdefault((kind, value), BlastItem(kind, value, source))
    return list(found.values())


def _walk(data: Any, key: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every (key, leaf) in nested data; list items carry their list's key. Bounded depth, as a
    provider's output can be anything."""
    if depth > 12:
        return
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _walk(v, str(k), depth + 1)
    elif isinstance(data, list | tuple):
        for v in data:
            yield from _walk(v, key, depth + 1)
    else:
        yield key, data
