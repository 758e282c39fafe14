"""Our own activities: the CloudWatch probes and ``cdevops_chaos.faults.inject``.

chaoslib checks that an activity's arguments bind to the function's signature; here we check
what they mean: a CloudWatch statistic and period that CloudWatch accepts, a window no shorter
than the period, a scenario id that is in the catalogue (with close matches suggested) and
parameters that the scenario declares, with the right types. Every activity, ours or not, comes
out typed (``model.Probe``, ``model.FaultAction``, ``model.PlainActivity``).
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import ExperimentInvalid
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.checks import Checks
from cdevops_chaos.experiment.source import join

METRIC_ID_PATTERN = r"^[a-z][a-zA-Z0-9_]*$"
_METRIC_KEYS = ("namespace", "metric_name", "stat", "dimensions")
OUR_FUNCS = {
    model.CLOUDWATCH_MODULE: ("metric", "expression", "alarm"),
    model.FAULTS_MODULE: ("inject",),
}
# Filled by the caller, never by the author: chaoslib injects these.
_INJECTED = ("configuration", "secrets")


def is_ours(activity: dict[str, Any]) -> bool:
    provider = activity.get("provider")
    if not isinstance(provider, dict) or provider.get("type") != "python":
        return False
    return provider.get("func") in OUR_FUNCS.get(str(provider.get("module")), ())


class ActivityBuilder:
    """Checks and types activities; one per document."""

    def __init__(self, checks: Checks, scenario_dirs: Sequence[Path]) -> None:
        self.checks = checks
        self.scenario_dirs = tuple(scenario_dirs)
        self._catalogue: dict[str, Any] | None = None
        self._catalogue_failed = False
        self._scenarios: dict[str, Any] = {}
        self._broken: set[str] = set()

    def catalogue(self) -> dict[str, Any] | None:
        if self._catalogue is None and not self._catalogue_failed:
            from cdevops_chaos.faults.catalogue import load_catalogue

            try:
                self._catalogue = load_catalogue(self.scenario_dirs)
            except ExperimentInvalid as err:
                self._catalogue_failed = True
                self.checks.problems.extend(err.problems)
        return self._catalogue

    def scenario(self, scenario_id: str) -> Any:
        """The scenario ``scenario_id``, read alone (``load_scenario``); None when no folder has
        it, or when it is broken (then its problems are added, once, and it is in ``_broken``)."""
        if scenario_id not in self._scenarios:
            from cdevops_chaos.faults.catalogue import load_scenario

            try:
                self._scenarios[scenario_id] = load_scenario(scenario_id, self.scenario_dirs)
            except ExperimentInvalid as err:
                self._scenarios[scenario_id] = None
                self._broken.add(scenario_id)
                known = self.checks.problems
                known.extend(p for p in err.problems if p not in known)
        return self._scenarios[scenario_id]

    def build(self, path: str, activity: dict[str, Any]) -> model.Activity:
        name = str(activity.get("name") or activity.get("ref") or "")
        kind = str(activity.get("type") or ("ref" if "ref" in activity else ""))
        if kind == "probe" or "tolerance" in activity:
            return self.probe(path, activity)
        if is_ours(activity):
            provider = activity["provider"]
            if provider["func"] == "inject":
                fault = self._fault(path, activity)
                if fault is not None:
                    return fault
            else:
                self._signature(path, activity)
                self._query(path, activity)
        return model.PlainActivity(name=name, type=kind, raw=activity)

    def probe(self, path: str, activity: dict[str, Any]) -> model.Probe:
        query = None
        if is_ours(activity):
            self._signature(path, activity)
            query = self._query(path, activity)
        return model.Probe(
            name=str(activity.get("name") or ""),
            tolerance=self._tolerance(join(path, "tolerance"), activity.get("tolerance")),
            raw=activity,
            query=query,
        )

    def _tolerance(self, path: str, raw: Any) -> model.Tolerance:
        pair = raw
        if isinstance(raw, dict) and raw.get("type") == "range":
            pair = raw.get("range")
            path = join(path, "range")
        if (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        ):
            low, high = float(pair[0]), float(pair[1])
            if low > high:
                self.checks.add(
                    path,
                    f"the range [{pair[0]}, {pair[1]}] is empty: its low bound is above its high",
                    f"[{pair[1]}, {pair[0]}]",
                )
            return model.Tolerance(raw=raw, low=low, high=high)
        return model.Tolerance(raw=raw)

    def _signature(self, path: str, activity: dict[str, Any]) -> None:
        """Every unknown and missing argument at once (chaoslib names only the first)."""
        provider = activity["provider"]
        func = _function(provider["module"], provider["func"])
        args = provider.get("arguments") or {}
        if func is None or not isinstance(args, dict):
            return
        params = {n: p for n, p in inspect.signature(func).parameters.items() if n not in _INJECTED}
        apath = join(join(path, "provider"), "arguments")
        for arg in args:
            if arg not in params:
                close = difflib.get_close_matches(str(arg), list(params), n=1)
                self.checks.add(
                    join(apath, arg),
                    f"{provider['func']}() has no argument {arg!r}",
                    f"did you mean {close[0]!r}?" if close else f"arguments: {', '.join(params)}",
                )
        for pname, param in params.items():
            if param.default is inspect.Parameter.empty and pname not in args:
                self.checks.add(
                    join(apath, pname),
                    f"{provider['func']}() needs the argument {pname!r}",
                    f"add {pname}: …",
                )

    def _query(self, path: str, activity: dict[str, Any]) -> model.CloudWatchQuery | None:
        provider = activity["provider"]
        args = provider.get("arguments") or {}
        if not isinstance(args, dict):
            return None
        apath = join(join(path, "provider"), "arguments")
        func = provider["func"]
        if func == "metric":
            return self._metric(apath, args)
        if func == "expression":
            return self._expression(apath, args)
        name = self.checks.string(join(apath, "alarm_name"), args.get("alarm_name"), "shop-5xx")
        return model.AlarmQuery(alarm_name=name) if name is not None else None

    def _period_window(self, apath: str, args: dict[str, Any]) -> tuple[int | None, int | None]:
        c = self.checks
        period: int | None = 60
        if "period" in args:
            period = c.period(join(apath, "period"), args["period"])
        window: int | None = 300
        if "window" in args:
            window = c.window(join(apath, "window"), args["window"], period)
        elif period is not None and period > 300:
            window = c.window(join(apath, "window"), 300, period)
        return period, window

    def _missing(self, apath: str, args: dict[str, Any]) -> model.Missing | None:
        if "missing" not in args:
            return model.Missing.FAIL
        chosen = self.checks.choice(
            join(apath, "missing"), args["missing"], [m.value for m in model.Missing]
        )
        return model.Missing(chosen) if chosen else None

    def _metric(self, apath: str, args: dict[str, Any]) -> model.MetricQuery | None:
        c = self.checks
        namespace = metric_name = None
        if "namespace" in args:
            namespace = c.string(join(apath, "namespace"), args["namespace"], "AWS/ApplicationELB")
        if "metric_name" in args:
            metric_name = c.string(
                join(apath, "metric_name"), args["metric_name"], "HTTPCode_Target_5XX_Count"
            )
        stat = c.stat(join(apath, "stat"), args["stat"]) if "stat" in args else "Average"
        dimensions = c.str_map(join(apath, "dimensions"), args.get("dimensions"))
        period, window = self._period_window(apath, args)
        missing = self._missing(apath, args)
        if (
            namespace is None
            or metric_name is None
            or stat is None
            or dimensions is None
            or period is None
            or window is None
            or missing is None
        ):
            return None
        return model.MetricQuery(
            namespace=namespace,
            metric_name=metric_name,
            stat=stat,
            dimensions=dimensions,
            period=period,
            window=window,
            missing=missing,
        )

    def _expression(self, apath: str, args: dict[str, Any]) -> model.ExpressionQuery | None:
        c = self.checks
        expression = None
        if "expression" in args:
            expression = c.string(join(apath, "expression"), args["expression"], "100 * e / r")
        period, window = self._period_window(apath, args)
        missing = self._missing(apath, args)
        metrics: dict[str, model.MetricQuery] = {}
        ok = True
        mpath = join(apath, "metrics")
        raw_metrics = args.get("metrics")
        if "metrics" not in args:
            ok = False
        elif not isinstance(raw_metrics, dict) or not raw_metrics:
            c.add(
                mpath,
                "metrics must be a non-empty mapping of ids to metrics",
                "e.g. {errors: {namespace: ..., metric_name: ..., stat: Sum}}",
            )
            ok = False
        else:
            for mid, spec in raw_metrics.items():
                ipath = join(mpath, mid)
                if not isinstance(mid, str) or not re.match(METRIC_ID_PATTERN, mid):
                    c.add(
                        ipath,
                        f"metric id {mid!r} is not valid for metric math",
                        "ids start with a lower-case letter, then letters, digits or _",
                    )
                    ok = False
                if (
                    c.mapping(ipath, spec, _METRIC_KEYS, ("namespace", "metric_name"), "a metric")
                    is None
                ):
                    ok = False
                    continue
                ns = (
                    c.string(join(ipath, "namespace"), spec["namespace"])
                    if "namespace" in spec
                    else None
                )
                mn = (
                    c.string(join(ipath, "metric_name"), spec["metric_name"])
                    if "metric_name" in spec
                    else None
                )
                stat = c.stat(join(ipath, "stat"), spec["stat"]) if "stat" in spec else "Average"
                dims = c.str_map(join(ipath, "dimensions"), spec.get("dimensions"))
                if ns is None or mn is None or stat is None or dims is None:
                    ok = False
                    continue
                metrics[str(mid)] = model.MetricQuery(
                    namespace=ns,
                    metric_name=mn,
                    stat=stat,
                    dimensions=dims,
                    period=period or 60,
                    window=window or 300,
                )
        if expression is None or not ok or period is None or window is None or missing is None:
            return None
        return model.ExpressionQuery(
            expression=expression, metrics=metrics, period=period, window=window, missing=missing
        )

    def _fault(self, path: str, activity: dict[str, Any]) -> model.FaultAction | None:
        from cdevops_chaos.faults.catalogue import resolve_parameters
        from cdevops_chaos.faults.registry import parameter_problems

        self._signature(path, activity)
        c = self.checks
        args = activity["provider"].get("arguments") or {}
        if not isinstance(args, dict) or "scenario" not in args:
            return None
        apath = join(join(path, "provider"), "arguments")
        spath = join(apath, "scenario")
        scenario_id = c.string(spath, args["scenario"], "az-power-interruption")
        raw_params = args.get("parameters")
        ppath = join(apath, "parameters")
        if raw_params is None:
            raw_params = {}
        if not isinstance(raw_params, dict):
            c.add(ppath, "parameters must be a mapping", "e.g. {availability_zone: us-east-1a}")
            return None
        if scenario_id is None:
            return None
        scenario = self.scenario(scenario_id)
        if scenario is None and scenario_id in self._broken:
            return None
        if scenario is None:
            catalogue = self.catalogue()  # all the ids, for the suggestion
            if catalogue is None:
                return None
            close = difflib.get_close_matches(scenario_id, list(catalogue), n=3)
            c.add(
                spath,
                f"unknown scenario {scenario_id!r}",
                f"did you mean {' or '.join(repr(x) for x in close)}?"
                if close
                else f"scenarios: {', '.join(sorted(catalogue))} (or add one with --scenarios DIR)",
            )
            return None
        given = {k: c.resolve(v) for k, v in raw_params.items()}
        # The catalogue's typed checks, then the fault's own cross-parameter rules (e.g. exactly
        # one of vpc_id / subnet_tags), so such mistakes are reported with a file and line too.
        problems = parameter_problems(scenario, given)
        for pname, message, hint in problems:
            c.add(join(ppath, pname) if pname else ppath, message, hint)
        if problems:
            return None
        return model.FaultAction(
            name=str(activity.get("name") or ""),
            scenario=scenario.id,
            parameters=resolve_parameters(scenario, given),
            raw=activity,
            scenario_dir=scenario.directory,
        )


def _function(module: str, func: str) -> Callable[..., Any] | None:
    import importlib

    try:
        found = getattr(importlib.import_module(module), func, None)
    except ImportError:
        return None
    return found if callable(found) else None
