"""The Locust user and load shape of ``traffic-spike`` (runs only inside the child process).

Reads the spec the fault wrote (``CDEVOPS_LOAD_SPEC``, a JSON file). Every user sends GET
requests to the spec's URLs, chosen at random, paced by ``constant_throughput`` so the users
together never exceed the asked rate (or the ``max_rps`` cap); a non-2xx answer or a request
slower than ``request_timeout_s`` is a failure. The shape follows ``shapes.users_at`` and ends
the load after ``duration_s``. In distributed mode the master runs the shape, the workers the
users; both read the same spec.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import locust.runners
import locust.stats
from locust import FastHttpUser, LoadTestShape, constant_throughput, task

from cdevops_chaos.loadgen.shapes import users_at

SPEC: dict[str, Any] = json.loads(Path(os.environ["CDEVOPS_LOAD_SPEC"]).read_text("utf-8"))
URLS: list[str] = [str(u) for u in SPEC["urls"]]

# Workers report to the master every 3 s by default; once a second keeps the master's CSV
# history (the journal's per-second statistics) per second in distributed mode too.
locust.runners.WORKER_REPORT_INTERVAL = 1.0
# The CSV history is flushed every 5 s by default; the run reads it live (to confirm the load
# started, and when), so it is flushed with every row.
locust.stats.CSV_STATS_FLUSH_INTERVAL_SEC = 0


class Visitor(FastHttpUser):
    host = SPEC["host"]
    wait_time = constant_throughput(float(SPEC["per_user_rps"]))
    network_timeout = float(SPEC["request_timeout_s"])
    connection_timeout = float(SPEC["request_timeout_s"])

    @task
    def visit(self) -> None:
        url = random.choice(URLS)
        self.client.get(url, name=url)


class Shape(LoadTestShape):
    use_common_options = True  # --run-time stays a hard stop beside the shape's own end

    def tick(self) -> tuple[int, float] | None:
        users = users_at(SPEC, self.get_run_time())  # type: ignore[no-untyped-call]
        if users is None:
            return None
        return users, float(SPEC["spawn_rate"])
