"""``traffic-spike``'s parameters turned into the load's spec, and the caps they must respect.

``parameter_problems`` holds the rules that span parameters (users ≤ max_users, rps ≤ max_rps,
duration ≤ max_duration, http(s) URLs, a spike inside the load, workers ≤ users, remote workers
need a fixed master port), each as (parameter, message, hint) for a located validation error.
``build_spec`` is the JSON the child reads (``CDEVOPS_LOAD_SPEC``): URLs, users, shape, timings
and the per-user pacing that keeps the total rate under ``max_rps``. No Locust, no I/O.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from cdevops_chaos.durations import format_duration
from cdevops_chaos.loadgen.shapes import peak_users

Problem = tuple[str, str, str]


def loopback(host: str | None) -> bool:
    """``host`` is this machine (127.0.0.0/8, ::1 or localhost)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cap(p: dict[str, Any], name: str, cap: str, what: str) -> Problem | None:
    value, limit = p.get(name), p.get(cap)
    if value is None or limit is None or float(value) <= float(limit):
        return None
    return (
        name,
        f"{value} {what} is more than the cap {cap} {limit}",
        f"lower {name}, or raise {cap} if the target can take it",
    )


def parameter_problems(p: dict[str, Any]) -> list[Problem]:
    """Every cross-parameter problem of resolved parameters (durations in seconds)."""
    out: list[Problem] = []
    urls = p.get("urls") or []
    if not urls:
        out.append(("urls", "names no URL", "give at least one http:// or https:// URL"))
    for i, url in enumerate(urls):
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            out.append((f"urls[{i}]", f"{url!r} is not an http(s) URL", "write http://host/path"))
    for name, cap, what in (
        ("users", "max_users", "users"),
        ("base_users", "max_users", "users"),
        ("rps", "max_rps", "requests/s"),
    ):
        problem = _cap(p, name, cap, what)
        if problem:
            out.append(problem)
    duration = float(p.get("duration") or 0)
    if duration > float(p.get("max_duration") or 0):
        out.append(
            (
                "duration",
                f"{format_duration(duration)} is longer than the cap max_duration "
                f"{format_duration(float(p.get('max_duration') or 0))}",
                "shorten duration, or raise max_duration",
            )
        )
    if p.get("shape") == "spike" and float(p.get("spike_at") or 0) >= duration:
        out.append(("spike_at", "the spike would start after the load ended", "spike earlier"))
    if p.get("remote_workers") and not p.get("master_port"):
        out.append(
            (
                "master_port",
                "remote workers need a fixed master port to connect to",
                "set master_port, and start the remote workers with --master-port <it>",
            )
        )
    workers = int(p.get("workers") or 0) + int(p.get("remote_workers") or 0)
    if workers > int(p.get("users") or 0):
        out.append(("workers", "more workers than users: some would run none", "use fewer"))
    return out


def pace(p: dict[str, Any]) -> float:
    """The total request rate the users are paced to: the asked rate, never above the cap."""
    cap = float(p["max_rps"])
    asked = p.get("rps")
    return cap if asked is None else min(float(asked), cap)


def build_spec(p: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """The spec the child reads, from resolved parameters."""
    urls = [str(u) for u in p["urls"]]
    first = urlsplit(urls[0])
    spec: dict[str, Any] = {
        "urls": urls,
        "host": f"{first.scheme}://{first.netloc}",
        "users": int(p["users"]),
        "spawn_rate": float(p["spawn_rate"]),
        "shape": p.get("shape") or "constant",
        "step_users": int(p.get("step_users") or 1),
        "step_time_s": float(p.get("step_time") or 10),
        "base_users": int(p.get("base_users") or 0),
        "spike_at_s": float(p.get("spike_at") or 0),
        "spike_for_s": None if p.get("spike_for") is None else float(p["spike_for"]),
        "duration_s": duration_s,
        "request_timeout_s": float(p.get("request_timeout") or 5),
        "workers": int(p.get("workers") or 0),
        "remote_workers": int(p.get("remote_workers") or 0),
        "rps": pace(p),
    }
    spec["per_user_rps"] = spec["rps"] / peak_users(spec)
    return spec
