"""Where the running lab listens, for ``--target lab``: the lab's per-user record, read as a file.

``cdevops-chaos lab up`` writes ``$CDEVOPS_HOME/lab/lab.json`` (``CDEVOPS_HOME`` defaults to
``~/.cdevops``) once the lab is ready: its pid and endpoint. That place does not depend on the
working directory, so ``run``, ``validate`` and ``cleanup`` find the lab from anywhere. The
product never imports the lab package (``make lint`` checks it); the record's JSON fields are the
whole contract between them. Order of precedence, first wins: an explicit endpoint
(``Target.endpoint_url``), ``CDEVOPS_LAB_ENDPOINT``, a record whose pid is alive, the default
``http://127.0.0.1:4566``. A record whose process is gone (a lab that was killed) is ignored and
the lookup says so in ``notes``. The drift check asks the lab's ``/_lab/status`` for the
capacity it was started with; nothing else here talks to the network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_LAB_ENDPOINT = "http://127.0.0.1:4566"
ENV_ENDPOINT = "CDEVOPS_LAB_ENDPOINT"
RECORD_FILE = "lab.json"


def record_path() -> Path:
    """``$CDEVOPS_HOME/lab/lab.json``, the same place ``cdevops_lab.process`` writes it."""
    home = os.environ.get("CDEVOPS_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".cdevops") / "lab" / RECORD_FILE


@dataclass(frozen=True)
class LabEndpoint:
    """The endpoint chosen, where it came from, and what the user should know about it."""

    url: str
    source: str  # "explicit" | "environment" | "record" | "default"
    notes: tuple[str, ...] = field(default=())


def _alive(pid: int) -> bool:
    from cdevops_chaos.engine.lock import pid_alive  # the run lock's check of its owner's pid

    if not pid_alive(pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal check is all there is
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")  # a zombie is not a lab


def _is_lab(pid: int) -> bool:
    """A recycled pid is not the lab: its command line must be the lab server's."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True
    return b"cdevops_lab serve" in cmdline


def read_record(path: Path | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """The live lab's record, or None with the reason it was not used (None: no record)."""
    path = path or record_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as err:
        return None, f"the lab record {path} is unreadable ({err}) and was ignored"
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        return None, f"the lab record {path} has no endpoint and was ignored"
    try:
        pid = int(data["pid"])
    except (KeyError, TypeError, ValueError):
        return None, f"the lab record {path} has no pid and was ignored"
    if not (_alive(pid) and _is_lab(pid)):
        return None, (
            f"a stale lab record was ignored: {path} names pid {pid}, which is no longer a "
            "running lab (killed?); `cdevops-chaos lab up` starts a new one"
        )
    return data, None


def find_lab_endpoint(explicit: str | None = None) -> LabEndpoint:
    """The lab endpoint every client of ``--target lab`` uses (see the module docstring)."""
    if explicit:
        return LabEndpoint(explicit, "explicit")
    env = os.environ.get(ENV_ENDPOINT)
    if env:
        return LabEndpoint(env, "environment")
    record, why = read_record()
    if record is not None:
        return LabEndpoint(str(record["endpoint"]), "record")
    return LabEndpoint(DEFAULT_LAB_ENDPOINT, "default", (why,) if why else ())


def drift_warnings(endpoint: str, timeout_s: float = 2.0) -> list[str]:
    """What the lab says about itself that a run should know: capacity moved from its baseline,
    or a fault left active. Empty when the lab does not answer (the run's own checks say so)."""
    import urllib.error
    import urllib.request

    if not endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        return []  # only a local lab is asked; anything else is not ours to probe
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_lab/status", timeout=timeout_s) as r:
            status = json.loads(r.read())
    except (OSError, ValueError, urllib.error.URLError):
        return []
    if not isinstance(status, dict):
        return []
    out: list[str] = []
    drift = status.get("drift")
    if isinstance(drift, dict) and drift.get("drifted"):
        out.append(
            f"the lab has drifted from its baseline ({drift.get('summary', 'capacity moved')}); "
            "the fault may find fewer targets than planned — wait for the lab to rebalance, or "
            "`cdevops-chaos lab down` and `lab up`"
        )
    faults = status.get("active_faults")
    if isinstance(faults, list) and faults:
        out.append(
            "the lab has active faults: " + "; ".join(str(f) for f in faults) + " — a killed run "
            "may have left them; run `cdevops-chaos cleanup`"
        )
    return out
