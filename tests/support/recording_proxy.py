"""A recording HTTP proxy on loopback in front of the moto server: which AWS calls reached it.

Tests that must prove a command *changed nothing* point the product at this proxy instead of
the moto server and read back every operation it forwarded — a count taken at the server's
door, not a mock of boto3. ``operation`` names a request from its wire protocol (query
``Action=``, JSON ``X-Amz-Target``, RPC-v2 ``/operation/<Op>``, else REST method and path);
``mutating`` is every operation that is not a read (Describe*, Get*, List*, or a REST GET).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_READS = ("Describe", "Get", "List", "BatchGet", "Search")


def operation(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].split("?")[0]
    query = parse_qs(urlsplit(path).query)
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    action = (form.get("Action") or query.get("Action") or [""])[0]
    if action:
        return action
    return f"{method} {urlsplit(path).path}"


def is_mutating(op: str) -> bool:
    if " " in op:  # a REST call: reads are GET and HEAD
        return not op.startswith(("GET ", "HEAD "))
    return not op.startswith(_READS)


@dataclass
class Recording:
    endpoint: str
    operations: list[str] = field(default_factory=list)

    @property
    def mutating(self) -> list[str]:
        return [op for op in self.operations if is_mutating(op)]


@contextmanager
def recording_proxy(upstream: str) -> Iterator[Recording]:
    """A proxy on a free 127.0.0.1 port forwarding to ``upstream``; stopped on exit."""
    target = urlsplit(upstream)
    lock = threading.Lock()
    recording = Recording("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                recording.operations.append(operation(self.command, self.path, headers, body))
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
            try:
                send = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                send["Host"] = target.netloc
                conn.request(self.command, self.path, body=body, headers=send)
                resp = conn.getresponse()
                data = resp.read()
            finally:
                conn.close()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        def log_message(self, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recording.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recording
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
