"""A moto server in this process with the lab's CloudWatch installed, as in the lab.

On a loopback port chosen at bind time; stopped, and moto's own handlers restored, after the
module that asked for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cdevops_lab.cloudwatch import responses


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    responses.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()
        responses.uninstall()
