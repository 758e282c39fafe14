"""The lab's knobs: one dataclass with sensible defaults, optionally loaded from a YAML file.

The lab is a simulation of an AWS region running on this machine (see docs/lab.md); these knobs
shape that simulation — how many zones and instances, how much load an instance takes, how long
a replacement takes to launch, how the ALB health-checks, how the orders store replicates, how
much baseline traffic flows. The default file is ``.cdevops/lab.yaml``; any key left out keeps
its default, an unknown key is an error (a typo must not silently keep a default). Every problem
with the file is ``ConfigInvalid`` — bad input, exit 2 — never a lab failure — and names the file,
the line and the knob (``lab.yaml:3: replication: must be async or sync``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdevops_lab.errors import ConfigInvalid

DEFAULT_CONFIG_PATH = Path(".cdevops/lab.yaml")

# The dimension value AWS would give the shop's load balancer; experiments name it literally.
LOAD_BALANCER_DIMENSION = "app/shop/0123456789abcdef"


ROUTING = ("round_robin", "least_outstanding_requests")


@dataclass(frozen=True)
class LabConfig:
    """Every knob of the lab. Times are seconds unless the name says ``_ms``."""

    region: str = "us-east-1"
    azs: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")
    gateway_port: int = 4566
    alb_port: int = 8080
    # ALB's load_balancing.algorithm.type: round_robin (AWS's default) | least_outstanding_requests
    alb_routing: str = "round_robin"
    instances_per_az: int = 2
    max_instances: int = 18
    instance_capacity_rps: float = 40.0
    launch_delay_s: float = 5.0
    health_check_interval_s: float = 1.0
    health_check_timeout_s: float = 0.5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    health_check_grace_s: float = 15.0
    az_quarantine_s: float = 120.0
    scale_out_utilisation: float = 0.7
    replication: str = "async"  # async | sync
    replication_lag_s: float = 1.0
    orders_primary_az: str | None = None  # None: the first AZ
    orders_standby_az: str | None = None  # None: the second AZ
    baseline_rps: float = 20.0
    baseline_clients: int = 4  # independent Poisson users sharing baseline_rps
    checkout_share: float = 0.4
    request_timeout_s: float = 3.0
    target_timeout_s: float = 2.0
    payments_timeout_ms: float = 300.0
    payments_latency_ms: float = 20.0
    table_name: str = "shop-catalog"
    table_rcu: int = 100
    table_wcu: int = 20
    catalog_items: int = 10
    tick_s: float = 1.0
    seed: int = 42

    def __post_init__(self) -> None:
        try:
            problems = self.problems()
        except TypeError as err:  # a knob of the wrong type (a string where a number goes)
            raise ConfigInvalid(f"invalid lab config: {err}") from err
        if problems:
            raise ConfigInvalid(
                "invalid lab config: " + "; ".join(f"{knob} {text}" for knob, text in problems),
                problems=problems,
            )

    def problems(self) -> list[tuple[str, str]]:
        """Every (knob, what is wrong with it)."""
        problems = []
        if self.alb_routing not in ROUTING:
            problems.append(
                ("alb_routing", f"must be one of {', '.join(ROUTING)}, not {self.alb_routing!r}")
            )
        if self.replication not in ("async", "sync"):
            problems.append(("replication", f"must be async or sync, not {self.replication!r}"))
        if len(self.azs) < 2:
            problems.append(
                ("azs", "needs at least two zones (the orders standby lives in another)")
            )
        if self.instances_per_az < 1:
            problems.append(("instances_per_az", "must be at least 1"))
        for name in ("instance_capacity_rps", "health_check_interval_s", "tick_s"):
            if getattr(self, name) <= 0:
                problems.append((name, "must be positive"))
        if self.baseline_clients < 1:
            problems.append(("baseline_clients", "must be at least 1"))
        for name in ("launch_delay_s", "replication_lag_s", "baseline_rps"):
            if getattr(self, name) < 0:
                problems.append((name, "must not be negative"))
        return problems

    @property
    def desired_capacity(self) -> int:
        return self.instances_per_az * len(self.azs)

    @property
    def primary_az(self) -> str:
        return self.orders_primary_az or self.azs[0]

    @property
    def standby_az(self) -> str:
        return self.orders_standby_az or self.azs[1]

    def replace(self, **changes: Any) -> LabConfig:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["azs"] = list(self.azs)
        return out

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str = "", lines: dict[str, int] | None = None
    ) -> LabConfig:
        """The config from ``data``; problems are located in ``source`` at ``lines[knob]``."""
        lines = lines or {}

        def where(knob: str) -> str:
            place = source + (f":{lines[knob]}" if knob in lines else "")
            return f"{place}: {knob}" if place else knob

        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(map(str, data)) - known, key=lambda k: (lines.get(k, 0), k))
        if unknown:
            located = "; ".join(where(k) for k in unknown) if source else ""
            raise ConfigInvalid(
                f"unknown lab config key(s): {', '.join(unknown)}"
                + (f" (at {located})" if located else ""),
                hint=f"known keys: {', '.join(sorted(known))}",
            )
        values = dict(data)
        if "azs" in values:
            if not isinstance(values["azs"], list):
                raise ConfigInvalid(f"{where('azs')}: must be a list of zone names")
            values["azs"] = tuple(values["azs"])
        try:
            return cls(**values)
        except ConfigInvalid as err:
            if not source or not err.problems:
                raise
            raise ConfigInvalid(
                "invalid lab config: "
                + "; ".join(f"{where(knob)} {text}" for knob, text in err.problems),
                problems=err.problems,
            ) from None
        except TypeError as err:
            raise ConfigInvalid(f"invalid lab config {source or ''}: {err}".strip()) from err


def load_config(path: Path | None = None) -> LabConfig:
    """The config in ``path``, or in ``.cdevops/lab.yaml`` when it exists, else the defaults."""
    import yaml

    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return LabConfig()
        path = DEFAULT_CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) or {}
    except OSError as err:
        raise ConfigInvalid(
            f"cannot read lab config {path}: {err.strerror or err}",
            hint="pass an existing YAML file to --config, or leave --config out for the defaults",
        ) from err
    except yaml.YAMLError as err:
        raise ConfigInvalid(f"lab config {path} is not valid YAML: {err}") from err
    except UnicodeDecodeError as err:
        raise ConfigInvalid(f"lab config {path} is not UTF-8 text: {err}") from err
    if not isinstance(data, dict):
        raise ConfigInvalid(f"lab config {path} must be a mapping of knob: value")
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            lines[str(key.value)] = key.start_mark.line + 1
    return LabConfig.from_dict(data, source=str(path), lines=lines)


def dump_config(config: LabConfig, path: Path) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.as_dict(), sort_keys=True), encoding="utf-8")
