"""The lab's knobs: one dataclass with sensible defaults, optionally loaded from a YAML file.

The lab is a simulation of an AWS region running on this machine (see docs/lab.md); these knobs
shape that simulation — how many zones and instances, how much load an instance takes, how long
a replacement takes to launch, how the ALB health-checks, how the orders store replicates, how
much baseline traffic flows. The default file is ``.cdevops/lab.yaml``; any key left out keeps
its default, an unknown key is an error (a typo must not silently keep a default). Every problem
with the file is ``ConfigInvalid`` — bad input, exit 2 — never a lab failure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import ConfigInvalid

DEFAULT_CONFIG_PATH = Path(".cdevops/lab.yaml")
DEFAULT_STATE_DIR = Path(".cdevops/lab")

# The dimension value AWS would give the shop's load balancer; experiments name it literally.
LOAD_BALANCER_DIMENSION = "app/shop/0123456789abcdef"


@dataclass(frozen=True)
class LabConfig:
    """Every knob of the lab. Times are seconds unless the name says ``_ms``."""

    region: str = "us-east-1"
    azs: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")
    gateway_port: int = 4566
    alb_port: int = 8080
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
        problems = []
        if self.replication not in ("async", "sync"):
            problems.append(f"replication must be async or sync, not {self.replication!r}")
        if len(self.azs) < 2:
            problems.append("azs needs at least two zones (the orders standby lives in another)")
        if self.instances_per_az < 1:
            problems.append("instances_per_az must be at least 1")
        for name in ("instance_capacity_rps", "health_check_interval_s", "tick_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive")
        for name in ("launch_delay_s", "replication_lag_s", "baseline_rps"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if problems:
            raise ConfigInvalid("invalid lab config: " + "; ".join(problems))

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
    def from_dict(cls, data: dict[str, Any]) -> LabConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigInvalid(
                f"unknown lab config key(s): {', '.join(unknown)}",
                hint=f"known keys: {', '.join(sorted(known))}",
            )
        values = dict(data)
        if "azs" in values:
            values["azs"] = tuple(values["azs"])
        try:
            return cls(**values)
        except TypeError as err:
            raise ConfigInvalid(f"invalid lab config: {err}") from err


def load_config(path: Path | None = None) -> LabConfig:
    """The config in ``path``, or in ``.cdevops/lab.yaml`` when it exists, else the defaults."""
    import yaml

    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return LabConfig()
        path = DEFAULT_CONFIG_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as err:
        raise ConfigInvalid(
            f"cannot read lab config {path}: {err.strerror or err}",
            hint="pass an existing YAML file to --config, or leave --config out for the defaults",
        ) from err
    except yaml.YAMLError as err:
        raise ConfigInvalid(f"lab config {path} is not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigInvalid(f"lab config {path} must be a mapping of knob: value")
    return LabConfig.from_dict(data)


def dump_config(config: LabConfig, path: Path) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.as_dict(), sort_keys=True), encoding="utf-8")
