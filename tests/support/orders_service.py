"""A tiny orders API on 127.0.0.1 whose writes can be made to hang, fail or succeed.

``POST /orders`` stores the JSON body under its ``id``; ``GET /orders/<id>`` answers 200 with it
or 404. Per sequence number a ``WriteRule`` makes a write hang (until its time is up or the
service closes), answer another status, skip storing, or send its headers long before its body;
``unanswered`` makes reads of a record answer 503 (a number of times, or forever);
``required_headers`` makes every request without them answer 401; ``delete``
drops a stored record, as a failover that lost it would; ``read_latency_s`` delays every
read. It records when each write arrived and
how many reads each record got. Used by the canary tests and, as a subprocess
(``python -m tests.support.orders_service --hang-every N --hang-s S``), by the canary benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class WriteRule:
    hang_s: float = 0.0  # wait this long before answering
    status: int = 201
    store: bool = True  # False: acknowledge but keep nothing (the write is lost)
    body_delay_s: float = 0.0  # send the status line and headers, then wait before the body


class OrdersService(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.lock = threading.Lock()
        self.orders: dict[str, dict[str, Any]] = {}
        self.rules: dict[int, WriteRule] = {}
        self.hang_every: tuple[int, float] | None = None  # (every Nth seq, hang seconds)
        self.unanswered: dict[str, int | None] = {}  # id -> 503s left (None: forever)
        self.arrivals: dict[int, float] = {}  # seq -> time.monotonic() when the write arrived
        self.reads: Counter[str] = Counter()
        self.closing = threading.Event()  # wakes every hanging handler
        # headers every request must carry (an API key, a bearer token): 401 without them
        self.required_headers: dict[str, str] = {}
        self.refused = 0  # requests answered 401
        self.reads_down = False  # every read answers 503 (the service is still broken)
        # each read takes this long to answer (a service across a network: read-back benchmark)
        self.read_latency_s = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def rule(self, seq: int) -> WriteRule:
        if seq in self.rules:
            return self.rules[seq]
        if self.hang_every and seq % self.hang_every[0] == 0:
            return WriteRule(hang_s=self.hang_every[1])
        return WriteRule()

    def delete(self, record_id: str) -> None:
        with self.lock:
            del self.orders[record_id]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a hanging write: expected here, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    server: OrdersService

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, payload: bytes = b"", body_delay_s: float = 0.0) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body_delay_s:
            self.wfile.flush()
            self.server.closing.wait(body_delay_s)
        self.wfile.write(payload)

    def _authorized(self) -> bool:
        ok = all(self.headers.get(k) == v for k, v in self.server.required_headers.items())
        if not ok:
            with self.server.lock:
                self.server.refused += 1
            self._reply(401)
        return ok

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if not self._authorized():
            return
        body = json.loads(raw)
        seq = int(body["seq"])
        with self.server.lock:
            self.server.arrivals[seq] = time.monotonic()
        rule = self.server.rule(seq)
        if rule.hang_s:
            self.server.closing.wait(rule.hang_s)
        if 200 <= rule.status < 300 and rule.store:
            with self.server.lock:
                self.server.orders[body["id"]] = body
        self._reply(rule.status, b"{}", rule.body_delay_s)

    def do_GET(self) -> None:
        if not self._authorized():
            return
        record_id = self.path.rsplit("/", 1)[-1]
        if self.server.read_latency_s:
            self.server.closing.wait(self.server.read_latency_s)
        with self.server.lock:
            self.server.reads[record_id] += 1
            left = self.server.unanswered.get(record_id, 0)
            refuse = left is None or left > 0 or self.server.reads_down
            if refuse and left is not None:
                self.server.unanswered[record_id] = left - 1
            order = self.server.orders.get(record_id)
        if refuse:
            self._reply(503)
        elif order is None:
            self._reply(404)
        else:
            self._reply(200, json.dumps(order).encode())


@contextmanager
def serving(port: int = 0) -> Iterator[OrdersService]:
    """An ``OrdersService`` serving on a thread; hanging handlers are woken and it is closed
    when the block ends."""
    server = OrdersService(port)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="orders-service", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.orders_service")
    parser.add_argument("--hang-every", type=int, default=0, help="hang every Nth write")
    parser.add_argument("--hang-s", type=float, default=1.0)
    args = parser.parse_args()
    with serving() as server:
        if args.hang_every:
            server.hang_every = (args.hang_every, args.hang_s)
        print(server.base, flush=True)
        sys.stdin.read()  # serve until the parent closes our input
    return 0


if __name__ == "__main__":
    sys.exit(main())
