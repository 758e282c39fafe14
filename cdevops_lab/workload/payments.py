"""The shop's ``payments`` dependency: a tiny regional HTTP service on a loopback port.

Part of the lab's simulation of a region. App servers call it on every checkout with a timeout
(``payments_timeout_ms``); it answers after ``payments_latency_ms``. Network latency injected on
an instance (``AWSFIS-Run-Network-Latency``) is added by the caller on its side of the call, as a
slow network would, so one instance's latency does not slow the others. Callers keep their
connections to it alive (``cdevops_lab.keepalive``).
"""

from __future__ import annotations

import json
import threading
import time

from cdevops_lab.keepalive import KeepAliveHandler, KeepAliveServer


class _Handler(KeepAliveHandler):
    server: _PaymentsHTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        time.sleep(self.server.latency_s)
        body = json.dumps({"status": "captured"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _PaymentsHTTPServer(KeepAliveServer):
    latency_s: float = 0.0


class PaymentsService:
    """The payments HTTP service; ``port`` is chosen by the OS on 127.0.0.1."""

    def __init__(self, latency_ms: float) -> None:
        self._httpd = _PaymentsHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.latency_s = latency_ms / 1000.0
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            daemon=True,
            name="lab-payments",
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()
