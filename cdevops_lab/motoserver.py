"""moto server behind a WSGI server that keeps connections alive: the lab's AWS storage.

Part of the lab's simulation of a region. moto's own ``ThreadedMotoServer`` runs moto's WSGI
app on werkzeug's development server, which answers every request with ``Connection: close``
and then waits up to 10 ms draining the socket: every call to moto (each catalog read the
gateway forwards, each metrics, fleet or alarm call) cost a TCP connection, a thread and that
wait (issue 12). Here the same app (``DomainDispatcherApplication(create_backend_app)``, as
moto builds it) is served by waitress, a small, well-kept pure-Python WSGI server with
HTTP/1.1 keep-alive and a fixed pool of worker threads. The interface is
``ThreadedMotoServer``'s: ``start``, ``get_host_and_port``, ``stop``. ``backend`` is the one
way the lab's ``*/local.py`` reach the storage of the moto this process serves, without HTTP.

What moto stores and answers, and the lab's additions to it, live elsewhere (``gateway/``,
``cloudwatch/responses.py``...), not here. One difference from moto's server: waitress drops
request headers with an underscore in their name (moto re-adds them for S3 metadata only,
which the lab does not serve).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from cdevops_lab.clients import DUMMY_KEY

WORKER_THREADS = 8  # moto calls are short; the gateway and the lab's loops share these


class MotoServer:
    """moto's WSGI app on ``ip_address:port`` (0: a free port chosen at bind time)."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (ip_address, port)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind, then serve in the background; returns once the socket accepts connections."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from waitress.server import create_server

        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" noise
        app = DomainDispatcherApplication(create_backend_app)
        self._server = create_server(
            app,
            host=self._address[0],
            port=self._address[1],
            threads=WORKER_THREADS,
            ident="moto",
            asyncore_use_poll=True,  # poll, not select: no limit of 1024 descriptors
            # moto's answers can be large (DescribeInstances, metric data): no buffering limits
            # that would make waitress spill them to a temporary file
            outbuf_overflow=64 * 1024 * 1024,
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="lab-moto")
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "start() first"
        return self._address[0], int(self._server.effective_port)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()  # the listening socket: new connections are refused
        # waitress's loop runs while it has channels: end the kept-alive ones too
        for channel in list(server._map.values()):
            with contextlib.suppress(OSError):
                channel.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)  # the loop notices an empty map within a second
            self._thread = None


def backend(backends: Any, region: str, access_key: str = DUMMY_KEY) -> Any:
    """The backend of one of moto's services (``backends``: e.g. moto's ``ec2_backends``) for
    the account ``access_key`` stands for and ``region``, as moto picks it for a request. Only
    meaningful for the moto served by this process."""
    from moto.iam.models import get_account_id_from

    return backends[get_account_id_from(access_key)][region]
