"""A loopback HTTP proxy in front of moto server that records which AWS API operation every
request is, as IAM names it (``fis:StartExperiment``, ``cloudwatch:GetMetricData``).

The service comes from the SigV4 credential scope of the request's signature; the operation
from the protocol (``Action=``, ``X-Amz-Target``, an RPC-v2 CBOR path, or a REST method and path
matched on botocore's service model), by the same mapping the lab gateway enforces IAM with.
Requests are forwarded unchanged and answered with moto's response. Used by the
``iam-policy`` tests to check that the computed policy covers every call a real run makes, and
(``recording_proxy``) by the dry-run tests to prove a command *changed nothing*: a count taken
at the server's door, not a mock of boto3. A request the mapping cannot name (unsigned, or not
an AWS API) is kept as ``METHOD path`` and counts as mutating unless it is a GET or HEAD.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cdevops_lab.iam.policy import operation_of as lab_operation_of

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def operation_of(method: str, path: str, headers: Any, body: bytes) -> str | None:
    """``prefix:Operation`` of one signed request, or None when it is not an AWS API call (the
    lab's own mapping, ``cdevops_lab.iam.policy``, which its gateway enforces policies with)."""
    scope = _SCOPE.search(headers.get("Authorization") or "")
    if scope is None:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    return lab_operation_of(scope.group(1), method, path, lower, body)[0]


class RecordingProxy:
    """``with RecordingProxy(moto_url) as proxy:`` ... ``proxy.url``, ``proxy.calls``."""

    def __init__(self, upstream: str) -> None:
        up = urlsplit(upstream)
        self.upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.calls: list[str] = []  # ``prefix:Operation`` of every AWS API call
        self.unnamed: list[str] = []  # ``METHOD path`` of every other request
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                op = operation_of(self.command, self.path, self.headers, body)
                with proxy._lock:
                    if op is not None:
                        proxy.calls.append(op)
                    else:
                        proxy.unnamed.append(f"{self.command} {urlsplit(self.path).path}")
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    def recorded(self) -> set[str]:
        with self._lock:
            return set(self.calls)


_READS = ("Describe", "Get", "List", "BatchGet", "Search")


def is_mutating(op: str) -> bool:
    """Whether a recorded operation may change state: every one that is not a read."""
    if " " in op:  # unnamed: reads are GET and HEAD
        return not op.startswith(("GET ", "HEAD "))
    return not op.split(":", 1)[-1].startswith(_READS)


@dataclass
class Recording:
    """What reached the server through ``recording_proxy``, read after (or during) the run."""

    proxy: RecordingProxy

    @property
    def endpoint(self) -> str:
        return self.proxy.url

    @property
    def operations(self) -> list[str]:
        """Operation names without the service prefix (``DescribeSubnets``), in order."""
        with self.proxy._lock:
            return [op.split(":", 1)[-1] for op in self.proxy.calls] + list(self.proxy.unnamed)

    @property
    def mutating(self) -> list[str]:
        with self.proxy._lock:
            return [op for op in (*self.proxy.calls, *self.proxy.unnamed) if is_mutating(op)]


@contextmanager
def recording_proxy(upstream: str) -> Iterator[Recording]:
    """A proxy on a free 127.0.0.1 port forwarding to ``upstream``; stopped on exit."""
    with RecordingProxy(upstream) as proxy:
        yield Recording(proxy)
