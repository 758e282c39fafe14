"""One measured canary run in a fresh process loaded like the engine during injection.

``python -m tests.bench.canary_load --mode MODE --base URL --seconds S --interval I`` starts the
canary against the orders service at URL, then loads this process the way the engine's inject
and observe phases do — first imports of boto3, chaoslib and matplotlib, boto3 clients built,
two threads of pure-Python work (sample classification, progress) and a thread serialising a
large journal with ``json.dumps`` (C code that holds the GIL for the whole call) — stops the
canary and prints one JSON object: the send times' gaps. Modes: ``process`` (the
``CanaryRunner``: a separate writer process), ``thread`` (the same ``Schedule`` and pool on a
thread of this process), ``sequential`` (the same with one writer thread: the old canary's
behaviour, for reference). Used by ``test_bench_canary.py``; a fresh process per run, because
imports happen once per process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime

from cdevops_chaos.canary import CanaryRunner
from cdevops_chaos.canary.ops import HttpRecords, WriteOutcome
from cdevops_chaos.canary.schedule import Schedule
from cdevops_chaos.experiment.model import HttpCanary


def _engine_like_load(stop: threading.Event) -> list[threading.Thread]:
    def cpu() -> None:
        while not stop.is_set():
            sum(i * i for i in range(20000))

    journal = {
        "probes": [
            {"t": datetime.now(UTC).isoformat(), "value": float(i), "status": "ok"}
            for i in range(60000)
        ]
    }

    def dumps() -> None:
        while not stop.is_set():
            json.dumps(journal)
            stop.wait(0.2)

    threads = [threading.Thread(target=f, daemon=True) for f in (cpu, cpu, dumps)]
    for t in threads:
        t.start()
    return threads


def _imports_and_clients() -> None:
    import boto3
    import chaoslib.run  # noqa: F401
    import matplotlib.pyplot  # noqa: F401

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    for service in ("ec2", "cloudwatch", "fis", "dynamodb", "sts", "autoscaling", "elbv2"):
        session.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("process", "thread", "sequential"), required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    spec = HttpCanary(
        f"{args.base}/orders", f"{args.base}/orders/{{id}}", interval=args.interval, timeout=2.0
    )
    run_id = f"bench-{args.mode}-{time.monotonic_ns()}"
    stop_canary = threading.Event()
    outcomes: list[WriteOutcome] = []
    runner: CanaryRunner | None = None
    thread: threading.Thread | None = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode == "process":
            runner = CanaryRunner(spec, run_id, workdir=tmp)
            runner.start()
        else:
            schedule = Schedule(
                HttpRecords(spec, run_id),
                spec.interval,
                spec.timeout,
                outcomes.append,
                concurrency=1 if args.mode == "sequential" else None,
            )
            thread = threading.Thread(target=schedule.run, args=(stop_canary,), daemon=True)
            thread.start()

        stop_load = threading.Event()
        t_end = time.monotonic() + args.seconds
        time.sleep(0.5)  # steady state first, as the engine does before injecting
        _imports_and_clients()
        _engine_like_load(stop_load)
        time.sleep(max(0.0, t_end - time.monotonic()))
        stop_load.set()

        if runner is not None:
            runner.stop()
            sends = sorted(w.sent_at for w in runner.writes)
            acked = sum(w.acked_at is not None for w in runner.writes)
        else:
            stop_canary.set()
            assert thread is not None
            thread.join(10)
            sends = sorted(o.sent_at for o in outcomes)
            acked = sum(o.acked_at is not None for o in outcomes)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sends)]
    late = [g for g in gaps if g > args.interval + 0.05]
    print(
        json.dumps(
            {
                "mode": args.mode,
                "writes": len(sends),
                "acked": acked,
                "max_gap_s": max(gaps),
                "p99_gap_s": statistics.quantiles(gaps, n=100, method="inclusive")[98],
                "gaps_over_interval_plus_50ms": len(late),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
