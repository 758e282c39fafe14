"""Running the product and the lab as a user would: CLI subprocesses, fake AWS, free ports.

Also stopping such a subprocess so that none outlives its test (``stop_with``, ``finish``),
reading the journal of a run, and serving a loopback HTTP server on a thread for a with-block.
Shared by the lab tests, the CLI tests and the benchmarks; the moto world lives in
chaos_world.py, the labs in labs.py. Nothing here can reach real AWS: the
environment of every subprocess has fake credentials and no endpoint of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, AnyStr, TypeVar

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


# Fake credentials and no config files: no test can reach real AWS (the session sets these for
# itself in tests/conftest.py; CLI subprocesses get them through ``fake_aws_env``).
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def fake_aws_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: fake credentials, no real AWS reachable."""
    env = dict(os.environ)
    env.update({**FAKE_AWS, "NO_COLOR": "1"})
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_ENDPOINT_URL", None)
    env.update(extra)
    return env


def cli(*args: str) -> list[str]:
    """The command line of ``python -m cdevops_chaos <args>`` in this interpreter."""
    return [sys.executable, "-m", "cdevops_chaos", *args]


def run_product(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """``python -m cdevops_chaos <args>`` with fake AWS and no terminal on stdin (a hang
    guard of ``timeout_s``)."""
    return subprocess.run(
        cli(*args),
        cwd=cwd,
        env={**fake_aws_env(), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def finish(proc: subprocess.Popen[AnyStr], timeout_s: float = 60.0) -> tuple[AnyStr, AnyStr]:
    """The output of ``proc`` once it ends; if it outlives ``timeout_s`` (or anything fails on
    the way) it is killed, so no test leaves a process behind."""
    try:
        return proc.communicate(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def stop_with(
    proc: subprocess.Popen[AnyStr], sig: signal.Signals, timeout_s: float = 60.0
) -> tuple[AnyStr, AnyStr]:
    """Send ``sig`` to ``proc`` and ``finish`` it (killed if it outlives ``timeout_s``)."""
    try:
        proc.send_signal(sig)
    finally:
        out, err = finish(proc, timeout_s)
    return out, err


def time_command(
    cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout_s: float = 120.0
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one run of ``cmd`` (perf_counter around subprocess.run) and its result."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(cmd), env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout_s
    )
    return time.perf_counter() - t0, proc


def only_journal(report_dir: Path) -> dict[str, Any]:
    """The journal of the one run in ``report_dir`` (fails if there is none or more than one)."""
    (path,) = report_dir.glob("*/journal.json")
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@contextlib.contextmanager
def serving(server: ServerT) -> Iterator[ServerT]:
    """``server`` answering on a daemon thread for the with-block; shut down and closed after it,
    pass or fail (the thread is joined, bounded)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def port_listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_fixed_port(avoid: set[int] | None = None) -> int:
    """A free loopback port BELOW the kernel's ephemeral range.

    A port handed out by ``bind(0)`` lies in the ephemeral range, and the lab's own outgoing
    connections take source ports from that range while it starts, so a fixed listening port
    there can be taken before the lab binds it (seen here: EADDRINUSE on the ALB port).
    """
    low, high = 20000, 32000
    try:
        eph_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        high = min(high, eph_low - 1)
    except (OSError, ValueError, IndexError):
        pass
    avoid = avoid or set()
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(low, high)
        if port in avoid or port_listening(port):
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port found below the ephemeral range")


def modules_after_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``cdevops-chaos ARGS`` in a fresh interpreter; its output and every module loaded
    once it has answered (``sys.modules``: unlike ``-X importtime`` this also sees
    ``importlib.import_module``, which loads the command modules)."""
    code = (
        "import sys\n"
        "from cdevops_chaos.cli import main\n"
        "sys.argv = ['cdevops-chaos', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('\\n'.join(['MODULES', *sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    errors, _, listed = done.stderr.rpartition("MODULES\n")
    done.stderr = errors
    return done, set(listed.split())
