"""What ``lab status`` concludes from the shop's state: the faults in effect and the drift.

Pure functions over the JSON-able status the shop answers on ``/_lab/status`` (no I/O), shared
by the lab's command line (which renders them) and the status itself (so the product's ``run``
reads the same conclusions). ``active_faults`` never lets a cut-off subnet go unreported:
a blocked subnet is always a fault, named with what to do when no run owns it. ``drift`` compares
the instances in service per AZ with the baseline the lab was started with
(``instances_per_az`` in every AZ), so an experiment knows when the fleet it will hit is not
the one it was written for.
"""

from __future__ import annotations

from typing import Any

KILLED_RUN_HINT = "if no run is in progress, a killed run left it: run `cdevops-chaos cleanup`"


def active_faults(status: dict[str, Any]) -> list[str]:
    """Every fault in effect: control-plane effects, and every cut-off subnet."""
    effects = status.get("effects") or {}
    azs = status.get("azs") or {}
    zone_of = {zone.get("subnet_id"): az for az, zone in azs.items()}
    active: list[str] = []
    for kind, value in effects.items():
        if not value:
            continue
        if kind == "blackholed_subnets":
            for subnet in value:
                az = zone_of.get(subnet, "?")
                active.append(
                    f"subnet {subnet} in {az} blackholed by its network ACL ({KILLED_RUN_HINT})"
                )
        else:
            active.append(kind)
    explained = set(effects.get("blackholed_subnets") or []).union(
        *(effects.get("disrupted_subnets") or {}).values()
    )
    for az, zone in azs.items():  # a cut-off subnet is always a fault
        if zone.get("subnet_blocked") and zone.get("subnet_id") not in explained:
            active.append(f"subnet blocked in {az} ({zone.get('subnet_id')}; {KILLED_RUN_HINT})")
    return active


def in_service(zone: dict[str, Any]) -> int:
    """Instances of one AZ that serve: running and not found unhealthy by the ALB."""
    return sum(
        1
        for i in zone.get("instances", [])
        if i.get("state") == "running" and i.get("health") != "unhealthy"
    )


def drift(status: dict[str, Any], per_az: int) -> dict[str, Any]:
    """``{drifted, baseline, now, summary}``: instances in service per AZ against the baseline."""
    azs = status.get("azs") or {}
    baseline = {az: per_az for az in azs}
    now = {az: in_service(zone) for az, zone in azs.items()}
    drifted = now != baseline
    summary = ", ".join(f"{az} {now[az]}/{baseline[az]}" for az in azs) + " in service/baseline"
    autoscaler = status.get("autoscaler") or {}
    settling = bool(autoscaler.get("pending_launches") or autoscaler.get("rebalancing"))
    return {
        "drifted": drifted,
        "settling": settling,
        "baseline": baseline,
        "now": now,
        "summary": summary,
    }
