"""Session-wide test set-up: fake AWS credentials and a real moto server on loopback.

No test can reach real AWS: credentials are fake for the whole session, and every AWS client in
the tests points at a moto server started here on a free 127.0.0.1 port and talked to over HTTP,
as a LocalStack user would.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.procs import FAKE_AWS

if TYPE_CHECKING:
    from tests.support.chaos_world import World

REPO = Path(__file__).resolve().parents[1]

for _k, _v in FAKE_AWS.items():
    os.environ[_k] = _v
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def free_port() -> int:
    """A free loopback port *below* the kernel's ephemeral range.

    ``bind(0)`` hands out ephemeral ports, which the servers under test may also receive for
    their own outgoing connections between our pick and their bind ("address already in use").
    Ports under 32768 are never handed out that way.
    """
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port between 20000 and 32000")


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint of a moto server subprocess on a free loopback port (one per session)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{endpoint}/moto-api/data.json", timeout=30)
        yield endpoint
    finally:
        # SIGKILL, not SIGTERM: the server's state is in memory only and nothing is lost, while
        # its graceful shutdown took 5-7 s after a lab test (its keep-alive connections), paid
        # by every xdist worker at its end and so added to the wall time of ``make test``.
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def moto(moto_server: str) -> str:
    """A freshly reset moto server (state from earlier tests is gone)."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()
    return moto_server


@pytest.fixture
def world(moto: str) -> World:
    """The small moto world of tests/support/chaos_world.py, on a freshly reset server."""
    from tests.support.chaos_world import build_world  # boto3 only for the tests that use it

    return build_world(moto)


@pytest.fixture
def localstack_env(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment of a LocalStack user whose LOCALSTACK_HOST points at the moto server."""
    monkeypatch.setenv("LOCALSTACK_HOST", moto.removeprefix("http://"))
    return moto


def _moto_state_manager(endpoint: str, path: str, body: dict[str, object]) -> None:
    req = urllib.request.Request(
        f"{endpoint}/moto-api/state-manager/{path}",
        data=json.dumps(body).encode(),
        method="POST",
    )
    urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture
def fis_progression(moto: str) -> Iterator[Callable[[int], None]]:
    """Call with N: every FIS experiment state lasts N GetExperiment calls (moto's default: 1),
    so a test can see ``running``; moto's default comes back when the test ends."""

    def set_times(times: int) -> None:
        _moto_state_manager(
            moto,
            "set-transition",
            {
                "model_name": "fis::experiment",
                "transition": {"progression": "manual", "times": times},
            },
        )

    yield set_times
    _moto_state_manager(moto, "unset-transition", {"model_name": "fis::experiment"})
