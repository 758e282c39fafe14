"""A loopback HTTP proxy in front of moto server that records which AWS API operation every
request is, as IAM names it (``fis:StartExperiment``, ``cloudwatch:GetMetricData``).

The service comes from the SigV4 credential scope of the request's signature; the operation
from the protocol: ``Action=`` (query protocols: EC2, IAM, STS, Auto Scaling, RDS), the
``X-Amz-Target`` header (JSON protocols: DynamoDB, tagging), the path of an RPC-v2 CBOR request,
or, for REST protocols (FIS, Lambda), the method and path matched against botocore's own service
model. Requests are forwarded unchanged and answered with moto's response. Used by the
``iam-policy`` tests to check that the computed policy covers every call a real run makes.
"""

from __future__ import annotations

import http.client
import re
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# SigV4 signing name -> (botocore service, IAM action prefix) where they differ from the name.
_SERVICES = {
    "monitoring": ("cloudwatch", "cloudwatch"),
    "tagging": ("resourcegroupstaggingapi", "tag"),
}


@cache
def _rest_operations(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    model = botocore.session.get_session().get_service_model(service)
    out = []
    for name in model.operation_names:
        http_ = model.operation_model(name).http
        uri = str(http_.get("requestUri", "/")).split("?", 1)[0]
        pattern = re.sub(r"\{[^}]+\+\}", ".+", uri)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        out.append((str(http_.get("method", "GET")), re.compile(f"^{pattern}/?$"), name))
    # literal paths before templated ones, so /experiments is not taken for /experiments/{id}
    return sorted(out, key=lambda t: t[1].pattern.count("[^/]+") + t[1].pattern.count(".+"))


def operation_of(method: str, path: str, headers: Any, body: bytes) -> str | None:
    """``prefix:Operation`` of one signed request, or None when it is not an AWS API call."""
    scope = _SCOPE.search(headers.get("Authorization") or "")
    if scope is None:
        return None
    signing = scope.group(1)
    service, prefix = _SERVICES.get(signing, (signing, signing))
    target = headers.get("X-Amz-Target")
    if target:
        return f"{prefix}:{target.rsplit('.', 1)[-1]}"
    parts = urlsplit(path)
    if "/operation/" in parts.path:  # RPC v2 CBOR: /service/<Service>/operation/<Operation>
        return f"{prefix}:{parts.path.rsplit('/', 1)[-1]}"
    form = parse_qs(parts.query)
    if "Action" not in form and body and b"Action=" in body:
        form = parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        return f"{prefix}:{form['Action'][0]}"
    for op_method, pattern, name in _rest_operations(service):
        if op_method == method and pattern.match(parts.path):
            return f"{prefix}:{name}"
    return f"{prefix}:?{method} {parts.path}"


class RecordingProxy:
    """``with RecordingProxy(moto_url) as proxy:`` ... ``proxy.url``, ``proxy.calls``."""

    def __init__(self, upstream: str) -> None:
        up = urlsplit(upstream)
        self.upstream = (up.hostname or "127.0.0.1", up.port or 80)
        self.calls: list[str] = []
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
                if op is not None:
                    with proxy._lock:
                        proxy.calls.append(op)
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
