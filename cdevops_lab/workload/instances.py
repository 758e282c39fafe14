"""The shop's app instances: one real HTTP server per running EC2 instance, and the reconciler
that keeps those servers in step with what the EC2 API says.

Part of the lab's simulation of a region. moto keeps the instances' *records*; this module plays
the hypervisor and the network. Every tick the ``Fleet`` reads the instances tagged ``app=shop``
and the subnets' network ACLs through the AWS endpoint, plus the effects the control plane wrote
(disrupted subnets). A running instance in a reachable subnet gets an ``AppServer``: a
``ThreadingHTTPServer`` on a 127.0.0.1 port with a finite capacity (a token bucket of
``instance_capacity_rps``; excess → 503). A running instance whose subnet is blackholed keeps its
socket but answers nothing (a request, health checks included, hangs until its caller gives
up), as with a real blackhole. A stopped or terminated instance drops every connection at once
and then closes its socket (connection refused). Both take effect the moment the control plane
applies them (``Effects.subscribe``), not at the next tick.

Which subnets are *blackholed* by their network ACL is decided in ``cdevops_lab.ec2.models``.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from cdevops_lab.clients import error_code
from cdevops_lab.ec2.models import NetworkAcls
from cdevops_lab.effects import Effects
from cdevops_lab.seed import APP_TAG, Topology
from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.orders import OrdersStore, OrdersUnavailable

if TYPE_CHECKING:
    from cdevops_lab.workload.alb import LoadBalancer

THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
}


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


class _Handler(BaseHTTPRequestHandler):
    server: _AppHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

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


class _AppHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64
    app: AppServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a caller that gave up (timeout, blackhole) is not a server error


class AppServer:
    """One instance's app: real HTTP on 127.0.0.1, finite capacity, closable and pausable."""

    def __init__(self, instance_id: str, az: str, deps: AppDeps) -> None:
        self.instance_id = instance_id
        self.az = az
        self.deps = deps
        self.bucket = TokenBucket(deps.capacity_rps)
        self._httpd = _AppHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
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
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.deps.payments_port, timeout=timeout_s - delay_s
        )
        try:
            conn.request("POST", "/charge", body=json.dumps(body).encode())
            resp = conn.getresponse()
            resp.read()
        except TimeoutError:
            return 504, {"error": "payments timed out"}
        except OSError:
            return 502, {"error": "payments unreachable"}
        finally:
            conn.close()
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


_LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")
DISCOVERY_EVERY_S = 5.0


@dataclass(frozen=True)
class _Record:
    instance_id: str
    az: str
    subnet_id: str
    launched_at: float
    state: str


@dataclass(frozen=True)
class InstanceView:
    """One shop instance as the data plane sees it this tick."""

    instance_id: str
    az: str
    subnet_id: str
    state: str  # EC2 state name
    reachable: bool  # subnet neither disrupted nor blackholed
    launched_at: float  # epoch seconds
    port: int | None  # the app's port while it has a server

    @property
    def serving(self) -> bool:
        return self.state == "running" and self.reachable and self.port is not None


class Fleet:
    """Reconciles app servers with the EC2 API and the effects, once per tick.

    The shop's instances are discovered with a full ``DescribeInstances`` (VPC, ``app=shop``
    tag) every ``DISCOVERY_EVERY_S`` and their states read every tick with
    ``DescribeInstanceStatus``, which costs a third as much; the autoscaler ``adopt``s what it
    launches so a replacement is served at the next tick, not the next discovery.
    """

    def __init__(
        self,
        *,
        ec2: Any,
        topology: Topology,
        effects: Effects,
        events: EventLog,
        deps: AppDeps,
        alb: LoadBalancer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ec2 = ec2
        self._topology = topology
        self._effects = effects
        self._events = events
        self._deps = deps
        self._alb = alb
        self._clock = clock
        self._servers: dict[str, AppServer] = {}
        self._last: dict[str, InstanceView] = {}
        self._blocked_subnets: set[str] = set()
        self._lock = threading.Lock()
        self._meta: dict[str, tuple[str, str, float]] = {}  # id -> (az, subnet, launched_at)
        self._next_discovery = 0.0
        self.ticks = 0
        # the network ACLs' effect: applied by the gateway when a call succeeds, and here at
        # each tick for changes made past it (a bare moto in tests)
        self._network = NetworkAcls(effects, events, topology.az_of_subnet)
        self._flags = threading.RLock()  # servers and their reachability change under it
        effects.subscribe(self.apply_effects)

    def apply_effects(self) -> None:
        """Make every app server feel the effects as they are now (called on each change)."""
        with self._flags:
            blocked = self._effects.blocked_subnets()
            for iid, server in self._servers.items():
                if self._effects.is_powered_off(iid):
                    server.power_off()
                server.set_blocked(self._subnet_of(iid) in blocked)

    def _subnet_of(self, instance_id: str) -> str | None:
        with self._lock:
            meta = self._meta.get(instance_id)
        return meta[1] if meta else None

    def view(self) -> dict[str, InstanceView]:
        with self._lock:
            return dict(self._last)

    def blocked_subnets(self) -> set[str]:
        """Subnets blackholed by their ACL or disrupted by a fault, as of the last tick."""
        with self._lock:
            return set(self._blocked_subnets)

    def lost_azs(self) -> set[str]:
        """AZs with a blocked app subnet or no running, reachable shop instance."""
        view = self.view()
        blocked = self.blocked_subnets()
        lost = set()
        for az, subnet in self._topology.subnets.items():
            if subnet in blocked or not any(v.serving and v.az == az for v in view.values()):
                lost.add(az)
        return lost

    def adopt(self, instance_id: str, az: str, subnet_id: str) -> None:
        """Know a just-launched instance without waiting for the next full discovery."""
        with self._lock:
            self._meta[instance_id] = (az, subnet_id, self._clock())

    def _records(self) -> list[_Record]:
        """The shop's live instances: a full DescribeInstances every few seconds (tags, VPC,
        subnet), and in between the much cheaper DescribeInstanceStatus for their states."""
        now = self._clock()
        with self._lock:
            known = dict(self._meta)
        if known and now < self._next_discovery:
            try:
                statuses = self._ec2.describe_instance_status(
                    InstanceIds=sorted(known), IncludeAllInstances=True
                )["InstanceStatuses"]
            except Exception as err:
                if error_code(err) not in ("InvalidInstanceID.NotFound", "InvalidInstanceID"):
                    raise
            else:
                records = [
                    _Record(st["InstanceId"], *known[st["InstanceId"]], st["InstanceState"]["Name"])
                    for st in statuses
                    if st["InstanceId"] in known
                ]
                live = [r for r in records if r.state in _LIVE_STATES]
                with self._lock:
                    for gone in set(known) - {r.instance_id for r in live}:
                        self._meta.pop(gone, None)
                return live
        reservations = self._ec2.describe_instances(
            Filters=[
                {"Name": "vpc-id", "Values": [self._topology.vpc_id]},
                {"Name": f"tag:{APP_TAG['Key']}", "Values": [APP_TAG["Value"]]},
                {"Name": "instance-state-name", "Values": list(_LIVE_STATES)},
            ]
        )["Reservations"]
        records = []
        for res in reservations:
            for inst in res["Instances"]:
                launched = inst.get("LaunchTime")
                records.append(
                    _Record(
                        inst["InstanceId"],
                        inst["Placement"]["AvailabilityZone"],
                        inst.get("SubnetId", ""),
                        launched.timestamp() if isinstance(launched, datetime) else now,
                        inst["State"]["Name"],
                    )
                )
        with self._lock:
            self._meta = {r.instance_id: (r.az, r.subnet_id, r.launched_at) for r in records}
        self._next_discovery = now + DISCOVERY_EVERY_S
        return records

    def tick(self) -> None:
        records = self._records()
        version = self._effects.acl_version
        acls = self._ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [self._topology.vpc_id]}]
        )["NetworkAcls"]
        self._network.observe(
            acls,
            source="reconciler",
            read_at_version=version,
            scope=set(self._topology.subnets.values()),  # it read the shop's VPC only
        )
        with self._flags:
            blocked = self._effects.blocked_subnets() & set(self._topology.subnets.values())
            seen = {r.instance_id: self._reconcile(r, blocked) for r in records}
            gone = [self._servers.pop(iid) for iid in set(self._servers) - set(seen)]
        for server in gone:
            server.close()
        for iid, old in self._last.items():
            if iid not in seen:
                self._alb.deregister(iid)
                self._events.record("instance-terminated", instance_id=iid, az=old.az)
        with self._lock:
            self._last = seen
            self._blocked_subnets = blocked
        self.ticks += 1

    def _reconcile(self, record: _Record, blocked: set[str]) -> InstanceView:
        iid, az, subnet, state = record.instance_id, record.az, record.subnet_id, record.state
        launched_at = record.launched_at
        reachable = subnet not in blocked
        old = self._last.get(iid)
        server = self._servers.get(iid)
        powered_off = self._effects.is_powered_off(iid)
        if state == "running" and not powered_off:
            if server is None or server.down:  # new, or booted again after a stop
                if server is not None:
                    threading.Thread(target=server.close, daemon=True).start()
                server = self._servers[iid] = AppServer(iid, az, self._deps)
                self._alb.register(iid, az, server.port)
            server.set_blocked(not reachable)
            server.serve()
        elif state == "running" and server is not None:
            server.power_off()  # stopped through the API a moment ago; the state will follow
        elif server is not None:
            self._servers.pop(iid).close()
            server = None
        if old is None:
            self._events.record("instance-launched", instance_id=iid, az=az, state=state)
        else:
            if old.state != state:
                kind = {
                    "stopped": "instance-stopped",
                    "stopping": "instance-stopped",
                    "running": "instance-started",
                    "shutting-down": "instance-terminated",
                }.get(state, "instance-state")
                if not (kind == "instance-stopped" and old.state in ("stopping", "stopped")):
                    self._events.record(kind, instance_id=iid, az=az, state=state)
            if old.reachable != reachable:
                self._events.record(
                    "instance-reachable" if reachable else "instance-unreachable",
                    instance_id=iid,
                    az=az,
                    subnet_id=subnet,
                )
        return InstanceView(
            iid, az, subnet, state, reachable, launched_at, server.port if server else None
        )

    def stop(self) -> None:
        # each close waits for its server loop's poll; closing them side by side is faster
        closers = [
            threading.Thread(target=server.close, daemon=True) for server in self._servers.values()
        ]
        for thread in closers:
            thread.start()
        for thread in closers:
            thread.join(timeout=5)
        self._servers.clear()
