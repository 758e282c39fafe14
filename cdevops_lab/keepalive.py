"""Persistent HTTP/1.1 connections for the lab's servers and clients on loopback.

Part of the lab's simulation of a region. Every hop of the lab's data plane (baseline traffic →
ALB → app instance → payments, and clients → gateway) keeps its connections alive instead of
opening a TCP connection, and a server thread, per request (issue 12). Here live:

- ``KeepAliveServer`` / ``KeepAliveHandler``: a ``ThreadingHTTPServer`` (one thread per
  *connection*, which now serves many requests) that knows its open connections, so a server
  that goes down can end them (``drop_connections``) and a caller's pooled connection fails
  the way a new one would; Nagle is off, because headers and body leave in separate writes and
  the peer's delayed ACK would otherwise add ~40 ms to every answer on a kept connection;
- ``pool``: a bounded urllib3 pool of connections to one loopback port, with retries and
  redirects off (a refused or dropped connection is the caller's to report, never retried
  behind its back), and ``outcome`` to sort its errors into *timed out* and *failed*;
- ``parse_headers``: the standard library's header parsing without its e-mail parser for
  plain ``Name: value`` lines (``install_fast_headers`` puts it in ``http.client``).

What each server answers lives with it (``workload/``, ``gateway/``), not here.
"""

from __future__ import annotations

import contextlib
import email.parser
import http.client
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as PoolTimeout

# A pool that is full opens one more connection and discards it afterwards (block=False: a
# request never waits for a connection); urllib3 logs each discard as a warning, which in the
# lab's log would be noise, not news.
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


class KeepAliveServer(ThreadingHTTPServer):
    """A threading HTTP server on ``address`` that tracks its open client connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0  # connections ever accepted: with keep-alive, far fewer than requests
        super().__init__(address, handler)

    quiet_errors = True  # a caller that hung up (timeout, blackhole) is not a server error

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.quiet_errors:
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """End every open connection now: a request on it gets no answer, an idle one is
        closed, and a caller's pool sees it dropped before its next request."""
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (connections kept), Nagle off, quiet, registered with its server."""

    server: KeepAliveServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # the lab logs events, not hits
        return

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
            self.server.accepted += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()


def pool(port: int, maxsize: int, timeout_s: float) -> urllib3.HTTPConnectionPool:
    """Up to ``maxsize`` kept connections to ``127.0.0.1:port`` (more are opened when all are
    busy, and closed after use); no retries, no redirects; ``timeout_s`` per socket operation
    unless a request names its own."""
    return urllib3.HTTPConnectionPool(
        "127.0.0.1",
        port,
        maxsize=maxsize,
        block=False,
        retries=False,
        timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
    )


def request(
    target: urllib3.HTTPConnectionPool,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> urllib3.BaseHTTPResponse:
    """One request on a kept connection, its body read. Raises urllib3's errors (``outcome``)."""
    options: dict[str, Any] = {}
    if timeout_s is not None:  # None would mean "no timeout" to urllib3, not "the pool's"
        options["timeout"] = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    return target.urlopen(
        method,
        path,
        body=body,
        headers=headers or {},
        retries=False,
        redirect=False,
        preload_content=True,
        **options,
    )


def outcome(err: BaseException) -> str:
    """``"timeout"`` when no answer came in time (connect or read), ``"failed"`` when the
    connection was refused or dropped; other errors are not the network's and are re-raised."""
    if isinstance(err, NewConnectionError):  # urllib3 files "refused" under connect timeouts
        return "failed"
    if isinstance(err, PoolTimeout | TimeoutError):
        return "timeout"
    if isinstance(err, HTTPError | OSError):
        return "failed"
    raise err


# A header line the e-mail parser would read as one plain header: a name of printable
# characters without ":" (its own rule), no folding, and none of the characters that
# str.splitlines (which it splits on) treats as line ends.
_MAXLINE: int = getattr(http.client, "_MAXLINE", 65536)  # the standard library's limits
_MAXHEADERS: int = getattr(http.client, "_MAXHEADERS", 100)
_PLAIN_HEADER = re.compile(r"([\041-\071\073-\176]+):([^\r\n\x0b\x0c\x1c\x1d\x1e\x85]*)\r?\n\Z")


def parse_headers(
    fp: Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage, **_: Any
) -> http.client.HTTPMessage:
    """``http.client.parse_headers``, the same message, without the e-mail parser when it can.

    Every HTTP message the lab's hops exchange (client, ALB, instance, gateway: about seven
    header blocks per request) was parsed by ``email.parser``, a tenth of the idle lab's CPU
    (issue 12). Lines are read under the standard library's limits; when each is a plain
    ``Name: value`` (and the message is not multipart, which that parser treats apart), the
    message is built as that parser builds it (compat32: value left-stripped of blanks, line
    end removed, empty payload); anything else goes to the standard parser.
    """
    lines: list[bytes] = []
    while True:
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAXHEADERS:
            raise http.client.HTTPException(f"got more than {_MAXHEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    text = b"".join(lines).decode("iso-8859-1")
    headers: list[tuple[str, str]] = []
    for raw in lines[:-1] if lines[-1] in (b"\r\n", b"\n") else lines:
        match = _PLAIN_HEADER.match(raw.decode("iso-8859-1"))
        if match is None:
            return email.parser.Parser(_class=_class).parsestr(text)
        name, value = match.group(1), match.group(2).lstrip(" \t")
        if name.lower() == "content-type" and value.lower().startswith(("multipart/", "message/")):
            return email.parser.Parser(_class=_class).parsestr(text)
        headers.append((name, value))
    message = _class()
    message._headers = headers  # type: ignore[attr-defined]  # compat32's own store
    message.set_payload("")
    return message


def install_fast_headers() -> None:
    """Parse HTTP headers with ``parse_headers`` in this process (``http.server`` and
    ``http.client``, hence urllib3 and botocore, look it up in ``http.client``)."""
    http.client.parse_headers = parse_headers  # type: ignore[assignment]
