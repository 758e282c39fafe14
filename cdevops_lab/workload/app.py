"""One shop instance's app: a real HTTP server on a 127.0.0.1 port, with finite capacity.

Part of the lab's simulation of a region; the fleet (``instances.py``) makes one per running EC2
instance. It serves ``GET /health``, ``GET /catalog/<id>`` (a DynamoDB read through the lab
endpoint; throttled → 503), ``POST /checkout`` (calls ``payments`` with a timeout → 504),
``POST /orders`` and ``GET /orders/<id>``, each within a token bucket of ``capacity_rps``
(excess → 503). A blackholed instance answers nothing (requests are held until their caller
gives up); a powered-off one drops every connection at once, and is then closed (refused).
Connections are kept alive (``cdevops_lab.keepalive``): the ALB's pooled connections to an
instance that is powered off are ended with it, so they fail as new ones would, while those to
a blackholed one stay open and hang, as over a real blackhole. Its calls to ``payments`` go
over a small pool of kept connections too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.clients import error_code
from cdevops_lab.effects import Effects
from cdevops_lab.keepalive import KeepAliveHandler, KeepAliveServer, outcome, pool, request
from cdevops_lab.workload.orders import OrdersStore, OrdersUnavailable

THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
}


PAYMENTS_POOL = 4  # kept connections from one instance to payments
BLACKHOLE_HOLD_S = 30.0  # longest a request is held unanswered by a blackholed instance


class TokenBucket:
    """``rate`` requests per second with a burst of one second's worth."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


@dataclass(frozen=True)
class AppDeps:
    """What every app server talks to."""

    table: Any  # a dynamodb client at the lab endpoint
    table_name: str
    payments_port: int
    payments_timeout_ms: float
    orders: OrdersStore
    effects: Effects
    capacity_rps: float


class _Handler(KeepAliveHandler):
    server: _AppHTTPServer

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Lab-Instance", self.server.app.instance_id)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _unreachable(self) -> bool:
        """True when the instance must not answer: powered off (drop the connection now) or
        blackholed (hold it unanswered until the caller gives up or the subnet is back)."""
        app = self.server.app
        if app.down:
            self.close_connection = True
            return True
        if app.blocked.is_set():
            # its packets are lost: it is never answered, even if the subnet comes back
            app.reachable.wait(BLACKHOLE_HOLD_S)
            self.close_connection = True
            return True
        return False

    def do_GET(self) -> None:
        app = self.server.app
        if self._unreachable():
            return
        if self.path == "/health":
            self._reply(200, {"status": "ok", "instance": app.instance_id})
            return
        if not app.bucket.take():
            self._reply(503, {"error": "instance at capacity"})
            return
        if self.path.startswith("/catalog/"):
            self._reply(*app.catalog(self.path.removeprefix("/catalog/")))
        elif self.path.startswith("/orders/"):
            self._reply(*app.get_order(self.path.removeprefix("/orders/")))
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        app = self.server.app
        if self._unreachable():
            return
        body = self._body()
        if not app.bucket.take():
            self._reply(503, {"error": "instance at capacity"})
            return
        if body is None:
            self._reply(400, {"error": "body must be a JSON object"})
        elif self.path == "/checkout":
            self._reply(*app.checkout(body))
        elif self.path == "/orders":
            self._reply(*app.post_order(body))
        else:
            self._reply(404, {"error": "not found"})


class _AppHTTPServer(KeepAliveServer):
    request_queue_size = 64
    app: AppServer


class AppServer:
    """One instance's app: real HTTP on 127.0.0.1, finite capacity, closable and pausable."""

    def __init__(self, instance_id: str, az: str, deps: AppDeps) -> None:
        self.instance_id = instance_id
        self.az = az
        self.deps = deps
        self.bucket = TokenBucket(deps.capacity_rps)
        self._httpd = _AppHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        timeout_s = deps.payments_timeout_ms / 1000.0
        self._payments = pool(deps.payments_port, PAYMENTS_POOL, timeout_s)
        self._thread: threading.Thread | None = None
        self.closed = False
        self.down = False  # powered off: connections are dropped until the server is closed
        self.blocked = threading.Event()  # blackholed: requests are held unanswered
        self.reachable = threading.Event()  # set whenever not blocked, to release held requests
        self.reachable.set()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def serving(self) -> bool:
        return self._thread is not None

    def serve(self) -> None:
        if self._thread is None and not self.closed:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.5},
                daemon=True,
                name=f"lab-app-{self.instance_id}",
            )
            self._thread.start()

    def set_blocked(self, blocked: bool) -> None:
        if blocked and not self.blocked.is_set():
            self.reachable.clear()
            self.blocked.set()
        elif not blocked and self.blocked.is_set():
            self.blocked.clear()
            self.reachable.set()

    def power_off(self) -> None:
        """Drop every connection from now on (the server is closed at the next tick)."""
        self.down = True
        self.reachable.set()  # held requests end now, unanswered
        self._httpd.drop_connections()  # kept ones too: the caller's pool must not reuse them

    def close(self) -> None:
        """The instance is gone: connections are refused."""
        self.down = True
        self.reachable.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        if not self.closed:
            self._httpd.server_close()
            self.closed = True
        self._httpd.drop_connections()
        self._payments.close()

    # --- request handling ---
    def catalog(self, item_id: str) -> tuple[int, dict[str, Any]]:
        delay_ms = self.deps.effects.latency_for(self.instance_id, "dynamodb")
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        try:
            item = self.deps.table.get_item(
                TableName=self.deps.table_name, Key={"id": {"S": item_id}}
            ).get("Item")
        except Exception as err:  # the app's view of its table: throttled or failing
            if error_code(err) in THROTTLE_CODES:
                return 503, {"error": "catalog read throttled"}
            return 500, {"error": f"catalog read failed: {error_code(err) or type(err).__name__}"}
        if item is None:
            return 404, {"error": "no such item"}
        return 200, {"id": item_id, "name": item.get("name", {}).get("S")}

    def checkout(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        timeout_s = self.deps.payments_timeout_ms / 1000.0
        delay_s = self.deps.effects.latency_for(self.instance_id, "payments") / 1000.0
        if delay_s >= timeout_s:
            time.sleep(timeout_s)
            return 504, {"error": "payments timed out"}
        if delay_s:
            time.sleep(delay_s)
        try:
            resp = request(
                self._payments,
                "POST",
                "/charge",
                body=json.dumps(body).encode(),
                timeout_s=timeout_s - delay_s,
            )
        except Exception as err:
            if outcome(err) == "timeout":
                return 504, {"error": "payments timed out"}
            return 502, {"error": "payments unreachable"}
        if resp.status != 200:
            return 502, {"error": f"payments answered {resp.status}"}
        return 200, {"status": "paid"}

    def post_order(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order_id = body.get("id")
        if not isinstance(order_id, str) or not order_id:
            return 400, {"error": "an order needs a string 'id'"}
        try:
            acked = self.deps.orders.write(order_id, body)
        except OrdersUnavailable as err:
            return 503, {"error": f"orders unavailable: {err}"}
        return 201, {"id": order_id, "acked_at": datetime.fromtimestamp(acked, UTC).isoformat()}

    def get_order(self, order_id: str) -> tuple[int, dict[str, Any]]:
        try:
            order = self.deps.orders.read(order_id)
        except OrdersUnavailable as err:
            return 503, {"error": f"orders unavailable: {err}"}
        if order is None:
            return 404, {"error": "no such order"}
        return 200, order
