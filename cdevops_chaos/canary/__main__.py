"""The canary's writer process: ``python -m cdevops_chaos.canary --job FILE --out FILE``.

Started by ``CanaryRunner`` so that the writes keep their schedule whatever the engine does
(imports, boto3 client creation, analysis work contending for its GIL). It reads the job file
(``wire.Job``), builds what the writes need (for DynamoDB, a client through
``aws.clients.ClientFactory``; credentials come from the environment the runner gave it), writes
a ``ready`` line, runs the ``Schedule`` until its standard input closes (the runner's ``stop``,
or the runner's death) or SIGTERM, and ends with a ``stopped`` line. Nothing here judges the
writes or reads them back.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from cdevops_chaos.canary.credentials import headers_from_env
from cdevops_chaos.canary.ops import WriteOutcome, records_for, utc_now
from cdevops_chaos.canary.schedule import Schedule
from cdevops_chaos.canary.wire import Job, event_line, write_line
from cdevops_chaos.experiment.model import DynamoDbCanary

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory


def _client_factory(job: Job) -> ClientFactory:
    from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind

    t = job.target
    target = Target(
        kind=TargetKind(t.kind), region=t.region, profile=t.profile, endpoint_url=t.endpoint_url
    )
    return ClientFactory(target, default_region=t.default_region)


def _wait_for_eof(stream: IO[bytes], stop: threading.Event) -> None:
    try:
        while stream.read(4096):
            pass
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdevops_chaos.canary")
    parser.add_argument("--job", required=True, type=Path, help="the job file (JSON)")
    parser.add_argument("--out", required=True, type=Path, help="the stream file (JSON lines)")
    args = parser.parse_args(argv)
    try:
        job = Job.loads(args.job.read_text())
        clients = _client_factory(job) if isinstance(job.spec, DynamoDbCanary) else None
        records = records_for(job.spec, job.run_id, clients, headers=headers_from_env())
    except Exception as err:  # reported to the runner through stderr and the exit code
        print(f"canary: cannot start: {type(err).__name__}: {err}", file=sys.stderr)
        return 2

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(
        target=_wait_for_eof, args=(sys.stdin.buffer, stop), name="canary-stdin", daemon=True
    ).start()

    with args.out.open("a", encoding="utf-8") as out:

        def emit(line: str) -> None:
            out.write(line + "\n")
            out.flush()

        def sink(outcome: WriteOutcome) -> None:
            emit(write_line(outcome))

        spec = job.spec
        schedule = Schedule(records, spec.interval, spec.timeout, sink)

        def ready() -> None:  # the first write is due right after this line
            emit(
                event_line(
                    "ready",
                    pid=os.getpid(),
                    at=utc_now().isoformat(),
                    concurrency=schedule.stats.concurrency,
                )
            )

        schedule.run(stop, on_start=ready)
        stats = schedule.stats
        emit(
            event_line(
                "stopped",
                at=utc_now().isoformat(),
                due=stats.due,
                max_in_flight=stats.max_in_flight,
                abandoned=[
                    {"seq": seq, "sent_at": sent.isoformat()}
                    for seq, sent in sorted(stats.abandoned.items())
                ],
            )
        )
    # writes abandoned at stop may still hang in their threads: do not wait for them
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
