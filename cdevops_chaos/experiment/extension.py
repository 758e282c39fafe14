"""Our ``cdevops`` extension block: objectives, recovery, canary, guards, rpo_metric.

Parsed into ``model.CdevopsExtension`` with every problem recorded at its path
(``extensions[0].recovery.timeout``). Unknown keys are errors (a typo in ``stable_for`` must not
silently fall back to a default), and an ``rpo`` objective with neither a canary nor an
``rpo_metric`` is an error because it could not be measured; likewise an ``rto`` objective in
an experiment without steady-state probes (``find_extension`` checks it against the document).
"""

from __future__ import annotations

from typing import Any

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.checks import ACCOUNT, REGION, Checks
from cdevops_chaos.experiment.http_canary import parse_http_canary
from cdevops_chaos.experiment.source import join

SECTIONS = ("objectives", "recovery", "canary", "guards", "rpo_metric")
_DYNAMODB_CANARY = ("type", "table", "key", "region", "read_region", "interval", "timeout")


def find_extension(doc: dict[str, Any], checks: Checks) -> tuple[str, dict[str, Any]] | None:
    """The path and raw block of our extension, if the experiment has one."""
    extensions = doc.get("extensions")
    if not isinstance(extensions, list):
        return None
    found = [
        (join("extensions", i), ext)
        for i, ext in enumerate(extensions)
        if isinstance(ext, dict) and ext.get("name") == model.EXTENSION_NAME
    ]
    for path, _ in found[1:]:
        checks.add(
            join(path, "name"),
            f"a second {model.EXTENSION_NAME!r} extension",
            "merge them into one block",
        )
    if found:
        _check_against_document(*found[0], doc, checks)
    return found[0] if found else None


def _check_against_document(
    path: str, raw: dict[str, Any], doc: dict[str, Any], checks: Checks
) -> None:
    """Objectives that the rest of the experiment gives no way to measure.

    The RTO is measured from the steady-state probes (docs/design.md §7): without one, nothing would
    ever see the impact or the recovery, and the run would report "no impact" for a service
    nobody looked at.
    """
    objectives = raw.get("objectives")
    if not isinstance(objectives, dict) or "rto" not in objectives:
        return
    hypothesis = doc.get("steady-state-hypothesis")
    probes = hypothesis.get("probes") if isinstance(hypothesis, dict) else None
    if isinstance(probes, list) and probes:
        return
    checks.add(
        join(join(path, "objectives"), "rto"),
        "an RTO objective needs a steady-state probe to measure recovery",
        "add a probe to the steady-state-hypothesis (a CloudWatch metric, an alarm or any "
        "Chaos Toolkit probe), or drop the rto objective",
    )


def parse_extension(path: str, raw: dict[str, Any], checks: Checks) -> model.CdevopsExtension:
    """The typed extension; problems go to ``checks`` (defaults stand in for bad values)."""
    checks.mapping(path, raw, ("name", *SECTIONS), what=f"the {model.EXTENSION_NAME} extension")
    objectives = _objectives(join(path, "objectives"), raw.get("objectives"), checks)
    recovery = _recovery(join(path, "recovery"), raw.get("recovery"), checks)
    canary = _canary(join(path, "canary"), raw.get("canary"), checks)
    guards = _guards(join(path, "guards"), raw.get("guards"), checks)
    rpo_metric = _rpo_metric(join(path, "rpo_metric"), raw.get("rpo_metric"), checks)
    objectives_raw = raw.get("objectives")
    if (
        isinstance(objectives_raw, dict)
        and "rpo" in objectives_raw
        and raw.get("canary") is None
        and raw.get("rpo_metric") is None
    ):
        checks.add(
            join(join(path, "objectives"), "rpo"),
            "an rpo objective could not be measured: there is no canary and no rpo_metric",
            "add a canary (http or dynamodb) that writes sequenced records, or an rpo_metric, "
            "or drop the rpo objective",
        )
    return model.CdevopsExtension(
        objectives=objectives,
        recovery=recovery,
        canary=canary,
        guards=guards,
        rpo_metric=rpo_metric,
    )


def _objectives(path: str, raw: Any, checks: Checks) -> model.Objectives:
    if raw is None:
        return model.Objectives()
    if checks.mapping(path, raw, ("rto", "rpo"), what="objectives") is None:
        return model.Objectives()
    rto = checks.duration(join(path, "rto"), raw["rto"]) if "rto" in raw else None
    rpo = checks.duration(join(path, "rpo"), raw["rpo"]) if "rpo" in raw else None
    return model.Objectives(rto=rto, rpo=rpo)


def _recovery(path: str, raw: Any, checks: Checks) -> model.RecoveryPolicy:
    default = model.RecoveryPolicy()
    if raw is None:
        return default
    allowed = ("stable_for", "timeout", "measure_from", "noise")
    if checks.mapping(path, raw, allowed, what="recovery") is None:
        return default
    stable_for = default.stable_for
    timeout = default.timeout
    measure_from = default.measure_from
    noise = default.noise
    if "noise" in raw:
        value = checks.resolve(raw["noise"])
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            checks.add(
                join(path, "noise"),
                f"must be a whole number of samples (0 or more), got {value!r}",
                "noise: 1 tolerates one isolated not-ok sample inside the stable_for window",
            )
        else:
            noise = value
    if "stable_for" in raw:
        stable_for = (
            checks.duration(join(path, "stable_for"), raw["stable_for"], True) or stable_for
        )
    if "timeout" in raw:
        timeout = checks.duration(join(path, "timeout"), raw["timeout"], True) or timeout
    if "measure_from" in raw:
        choices = [m.value for m in model.MeasureFrom]
        chosen = checks.choice(join(path, "measure_from"), raw["measure_from"], choices)
        measure_from = model.MeasureFrom(chosen) if chosen else measure_from
    if stable_for > timeout:
        checks.add(
            join(path, "stable_for"),
            f"stable_for ({stable_for:g}s) is longer than the timeout ({timeout:g}s): "
            "recovery could never be observed",
            "make stable_for at most the timeout",
        )
    return model.RecoveryPolicy(
        stable_for=stable_for, timeout=timeout, measure_from=measure_from, noise=noise
    )


def _canary(path: str, raw: Any, checks: Checks) -> model.Canary | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        checks.mapping(path, raw, ("type",), what="canary")
        return None
    kind = raw.get("type")
    if kind not in ("http", "dynamodb"):
        checks.add(
            join(path, "type"),
            f"canary type {kind!r} is not known" if kind is not None else "canary type is required",
            "type: http (the service's own API) or type: dynamodb (a table)",
        )
        return None
    interval = 0.2
    if "interval" in raw:
        interval = checks.duration(join(path, "interval"), raw["interval"], True) or interval
    if kind == "http":
        return parse_http_canary(path, raw, interval, _canary_timeout(path, raw, checks), checks)
    checks.mapping(path, raw, _DYNAMODB_CANARY, required=("table",), what="a dynamodb canary")
    table = (
        checks.string(join(path, "table"), raw.get("table"), "orders") if "table" in raw else None
    )
    key = "pk"
    if "key" in raw:
        key = checks.string(join(path, "key"), raw["key"], "pk") or key
    regions: dict[str, str | None] = {"region": None, "read_region": None}
    for name in regions:
        if name in raw:
            value = raw[name]
            if isinstance(value, str) and REGION.match(value):
                regions[name] = value
            else:
                checks.add(join(path, name), f"{value!r} is not a region name", "e.g. us-east-1")
    timeout = _canary_timeout(path, raw, checks)
    if table is None:
        return None
    return model.DynamoDbCanary(
        table=table,
        interval=interval,
        key=key,
        region=regions["region"],
        read_region=regions["read_region"],
        timeout=timeout,
    )


def _canary_timeout(path: str, raw: dict[str, Any], checks: Checks) -> float:
    """A canary's per-request timeout (default 2s)."""
    if "timeout" not in raw:
        return 2.0
    return checks.duration(join(path, "timeout"), raw["timeout"], True) or 2.0


def _guards(path: str, raw: Any, checks: Checks) -> model.Guards:
    if raw is None:
        return model.Guards()
    allowed = ("accounts", "regions", "max_duration")
    if checks.mapping(path, raw, allowed, what="guards") is None:
        return model.Guards()
    accounts: list[str] = []
    regions: list[str] = []
    max_duration = None
    if "accounts" in raw:
        apath = join(path, "accounts")
        if not isinstance(raw["accounts"], list):
            checks.add(apath, "accounts must be a list of account ids", 'e.g. ["123456789012"]')
        else:
            for i, account in enumerate(raw["accounts"]):
                if isinstance(account, str) and ACCOUNT.match(account):
                    accounts.append(account)
                elif isinstance(account, int) and not isinstance(account, bool):
                    checks.add(
                        join(apath, i),
                        f"account id {account} is a number; ids are 12-digit strings "
                        "(a number loses leading zeros)",
                        f'quote it: "{account:012d}"',
                    )
                else:
                    checks.add(
                        join(apath, i),
                        f"{account!r} is not an AWS account id",
                        'a 12-digit string, e.g. "123456789012"',
                    )
    if "regions" in raw:
        rpath = join(path, "regions")
        if not isinstance(raw["regions"], list):
            checks.add(rpath, "regions must be a list of region names", "e.g. [us-east-1]")
        else:
            for i, region in enumerate(raw["regions"]):
                if isinstance(region, str) and REGION.match(region):
                    regions.append(region)
                else:
                    checks.add(join(rpath, i), f"{region!r} is not a region name", "e.g. us-east-1")
    if "max_duration" in raw:
        max_duration = checks.duration(join(path, "max_duration"), raw["max_duration"], True)
    return model.Guards(accounts=tuple(accounts), regions=tuple(regions), max_duration=max_duration)


def _rpo_metric(path: str, raw: Any, checks: Checks) -> model.MetricBound | None:
    if raw is None:
        return None
    allowed = ("namespace", "metric_name", "dimensions", "stat", "period", "unit_seconds")
    if checks.mapping(path, raw, allowed, ("namespace", "metric_name"), what="rpo_metric") is None:
        return None
    namespace = metric_name = None
    if "namespace" in raw:
        namespace = checks.string(join(path, "namespace"), raw["namespace"], "Lab/Shop")
    if "metric_name" in raw:
        metric_name = checks.string(join(path, "metric_name"), raw["metric_name"], "ReplicaLag")
    dimensions = checks.str_map(join(path, "dimensions"), raw.get("dimensions"))
    stat = "Maximum"
    if "stat" in raw:
        stat = checks.stat(join(path, "stat"), raw["stat"]) or stat
    period = 1
    if "period" in raw:
        period = checks.period(join(path, "period"), raw["period"]) or period
    unit_seconds = 1.0
    if "unit_seconds" in raw:
        unit_seconds = checks.number(join(path, "unit_seconds"), raw["unit_seconds"], True) or 1.0
    if namespace is None or metric_name is None or dimensions is None:
        return None
    return model.MetricBound(
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        stat=stat,
        period=period,
        unit_seconds=unit_seconds,
    )
