"""``CanaryRunner``: the engine's handle on the RPO canary (start, stop, read back).

``start`` spawns the writer process (``python -m cdevops_chaos.canary``, see ``__main__.py``)
with a job file in ``workdir`` and returns once it has written its ``ready`` line (the first
write is due at that moment); the process streams one JSON line per finished write to
``canary-writes.jsonl`` in ``workdir``, which ``writes`` reads at any time. ``stop`` closes the
process's standard input: it stops scheduling, waits for the writes in flight (bounded by two
write timeouts) and exits. ``read_back`` then reads every acknowledged record back from this
process (``readback.py``). The writes run in their own process, not a thread here, because the
engine's imports, boto3 client creation and analysis contend for this process's GIL exactly
while the fault is injected (issue 8; numbers in docs/journal.md). For a DynamoDB canary the
child builds its clients through ``ClientFactory`` from the target's kind, region and endpoint;
on the ``aws`` target it gets this session's (possibly assumed-role) credentials in its
environment, so it never assumes a role or reads a profile itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import cdevops_chaos
from cdevops_chaos.canary.credentials import HEADERS_ENV
from cdevops_chaos.canary.journal import ScheduleReport
from cdevops_chaos.canary.ops import records_for
from cdevops_chaos.canary.readback import read_back
from cdevops_chaos.canary.wire import Job, Stream, TargetSpec, read_stream
from cdevops_chaos.engine.clock import Clock, SystemClock
from cdevops_chaos.errors import CanaryError
from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary
from cdevops_chaos.recovery.rpo import CanaryWrite

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory

STREAM_FILE = "canary-writes.jsonl"
JOB_FILE = "canary-job.json"
LOG_FILE = "canary.log"
_READY_POLL_S = 0.02


class CanaryRunner:
    """Writes sequenced canary records from a separate process; reads them back on demand."""

    def __init__(
        self,
        spec: HttpCanary | DynamoDbCanary,
        run_id: str,
        clients: ClientFactory | None = None,
        clock: Clock | None = None,
        workdir: Path | str | None = None,
        *,
        ready_timeout_s: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(spec, DynamoDbCanary) and clients is None:
            raise ValueError("a dynamodb canary needs a client factory")
        self.spec = spec
        self.run_id = run_id
        self.clients = clients
        self.clock: Clock = clock or SystemClock()
        self.ready_timeout_s = ready_timeout_s
        # an HTTP canary's resolved header values: memory and the child's environment only
        self.headers = dict(headers or {})
        # without a workdir the stream lives in a temporary folder removed with the runner
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cdevops-canary-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        self.stream_path = self.workdir / STREAM_FILE
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    # --- the writer process -----------------------------------------------------------------

    def start(self) -> None:
        """Spawn the writer process; return once its schedule has started."""
        if self._proc is not None:
            raise RuntimeError("the canary is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        job, env = self._job()
        job_path = self.workdir / JOB_FILE
        job_path.write_text(job.dumps(), encoding="utf-8")
        self.stream_path.write_text("", encoding="utf-8")
        argv = [sys.executable, "-m", "cdevops_chaos.canary", "--job", str(job_path)]
        argv.extend(["--out", str(self.stream_path)])
        with (self.workdir / LOG_FILE).open("wb") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                env=env,
            )
        self._wait_ready()

    def _job(self) -> tuple[Job, dict[str, str]]:
        env = dict(os.environ)
        # the child imports this very package, installed or not
        root = str(Path(cdevops_chaos.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        target = TargetSpec()
        if self.headers:
            env[HEADERS_ENV] = json.dumps(self.headers)
        if isinstance(self.spec, DynamoDbCanary):
            assert self.clients is not None
            clients, t = self.clients, self.clients.target
            target = TargetSpec(
                kind=t.kind.value,
                region=clients.region,
                endpoint_url=t.resolved_endpoint(),
                default_region=clients.default_region,
            )
            if not t.is_local:
                self._pass_credentials(clients, env)
        return Job(self.spec, self.run_id, target), env

    @staticmethod
    def _pass_credentials(clients: ClientFactory, env: dict[str, str]) -> None:
        """This session's credentials (profile or assumed role) into the child's environment,
        where its default chain finds them before any profile."""
        creds = clients.session().get_credentials()
        if creds is None:  # the child's writes will say NoCredentialsError
            return
        frozen = creds.get_frozen_credentials()
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        env["AWS_ACCESS_KEY_ID"] = frozen.access_key
        env["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
        if frozen.token:
            env["AWS_SESSION_TOKEN"] = frozen.token

    def _wait_ready(self) -> None:
        # a process starting is real time whatever the injected clock says, so this one wait is
        # on the monotonic clock (a test clock that skips sleeps must not time it out)
        assert self._proc is not None
        deadline = time.monotonic() + self.ready_timeout_s
        while self._stream().ready is None:
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                self._end_process()
                why = f"exited with code {code}" if code is not None else "did not start in time"
                raise CanaryError(
                    f"the RPO canary's writer process {why}: {self._log_tail()}",
                    hint=f"see {self.workdir / LOG_FILE}; nothing was injected",
                )
            time.sleep(_READY_POLL_S)

    def _log_tail(self) -> str:
        try:
            text = (self.workdir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-3:]) or "(no output)"

    @property
    def stopped(self) -> bool:
        """``stop`` was called (or the writer never started): no write is due any more."""
        return self._stopped or self._proc is None

    def stop(self) -> None:
        """Stop scheduling; the writer waits for its writes in flight (two timeouts at most)."""
        if self._proc is None or self._stopped:
            return
        self._stopped = True
        self._end_process()

    def _end_process(self) -> None:
        proc = self._proc
        assert proc is not None
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end of input: the writer's signal to stop
        try:
            proc.wait(timeout=2 * self.spec.timeout + 5.0)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # --- what it wrote ----------------------------------------------------------------------

    def _stream(self) -> Stream:
        try:
            return read_stream(self.stream_path.read_text(encoding="utf-8"))
        except OSError:
            return Stream()

    @property
    def writes(self) -> list[CanaryWrite]:
        """The writes so far, in sequence order (safe while the writer runs). A write still in
        flight when the writer stopped is unacknowledged, with status ``abandoned``."""
        stream = self._stream()
        out = {
            seq: CanaryWrite(seq, o.sent_at, o.acked_at, None, o.status)
            for seq, o in stream.writes.items()
        }
        for raw in (stream.stopped or {}).get("abandoned") or []:
            seq = int(raw["seq"])
            out.setdefault(
                seq,
                CanaryWrite(seq, datetime.fromisoformat(raw["sent_at"]), None, None, "abandoned"),
            )
        return [out[seq] for seq in sorted(out)]

    @property
    def schedule(self) -> ScheduleReport:
        """What the writer process said about its schedule (for ``canary_block``)."""
        stream = self._stream()
        ready, stopped = stream.ready or {}, stream.stopped or {}

        def when(raw: object) -> datetime | None:
            return datetime.fromisoformat(raw) if isinstance(raw, str) else None

        return ScheduleReport(
            mode="process",
            concurrency=ready.get("concurrency"),
            max_in_flight=stopped.get("max_in_flight"),
            started_at=when(ready.get("at")),
            stopped_at=when(stopped.get("at")),
        )

    def read_back(self, deadline_s: float = 30.0) -> list[CanaryWrite]:
        """Every write so far, acknowledged ones read back: durable, lost or unconfirmed."""
        records = records_for(self.spec, self.run_id, self.clients, headers=self.headers)
        return read_back(records, self.writes, self.clock, deadline_s)
