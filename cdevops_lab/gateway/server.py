"""The lab gateway: the one endpoint (127.0.0.1:4566, LocalStack's port) of the simulated region.

Every AWS request of the lab's users goes through here. Most are forwarded unchanged to moto
server (method, path, query, headers, body; moto does not verify signatures, so the request is
passed on as signed). Around that forwarding the gateway adds what moto lacks, as a simulation
of a region and nothing more:

- requests whose SigV4 credential scope is ``fis`` are served by the lab's own FIS
  (``cdevops_lab.fis``), because moto only records experiments;
- EC2 requests may be refused as AWS would under a FIS API fault or insufficient capacity
  (``cdevops_lab.ec2.responses``); the role that signed them is known from STS AssumeRole
  responses seen on the way back (``cdevops_lab.iam``);
- DynamoDB data-plane requests are metered against the table's provisioned capacity and
  throttled (``cdevops_lab.dynamodb``);
- requests signed by a role tagged ``lab:enforce-iam=true`` are refused with AccessDenied when
  the role's inline policies allow no matching action (``cdevops_lab.iam.policy``; actions only);
- paths under ``/_lab/`` go to the lab's admin handler (status, truth).

It listens on loopback only and talks only to the moto endpoint it is given.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cdevops_lab.clients import make_client
from cdevops_lab.dynamodb import local as dynamodb_local
from cdevops_lab.dynamodb.models import TARGET_PREFIX, CapacityMeter
from cdevops_lab.dynamodb.responses import DynamoDbResponses
from cdevops_lab.ec2.responses import Ec2Responses
from cdevops_lab.effects import Effects
from cdevops_lab.fis import FisEngine, FisResponses
from cdevops_lab.iam.models import IdentityMap, parse_scope
from cdevops_lab.iam.policy import PolicyStore, access_denied, allows, operation_of
from cdevops_lab.keepalive import KeepAliveHandler, KeepAliveServer
from cdevops_lab.truth.events import EventLog

AdminHandler = Callable[[str, str, str, bytes], tuple[int, dict[str, Any]]]

# Headers that belong to one hop and must not be copied across the proxy.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "expect",  # the gateway has already answered 100-continue and read the body
    }
)


class _Server(KeepAliveServer):
    allow_reuse_address = True
    block_on_close = True  # stop() ends the connections, then waits for their threads
    quiet_errors = False  # a request that broke the gateway is news
    gateway: Gateway

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class _Handler(KeepAliveHandler):
    server: _Server

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        try:
            status, headers, payload = self.server.gateway.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
        except Exception as err:  # a bug must answer 500, not kill the connection
            status, headers = 500, {"Content-Type": "application/json"}
            payload = json.dumps({"message": f"lab gateway error: {err}"}).encode()
        self.send_response_only(status)
        for name, value in headers.items():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", headers.get("Content-Length", "0"))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class Gateway:
    """The lab's AWS endpoint: forwards to moto, serves FIS, injects faults, meters DynamoDB."""

    def __init__(
        self,
        moto_endpoint: str,
        effects: Effects,
        events: EventLog,
        host: str = "127.0.0.1",
        port: int = 4566,
        admin_handler: AdminHandler | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        stop_check_interval_s: float = 1.0,
        capacity: CapacityMeter | None = None,
        identities: IdentityMap | None = None,
        moto_in_process: bool = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the lab gateway listens on loopback only")
        self.moto_endpoint = moto_endpoint.rstrip("/")
        parts = urlsplit(self.moto_endpoint)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the lab gateway forwards to a loopback moto server only")
        self._moto_host = parts.hostname
        self._moto_port = parts.port or 80
        self.effects = effects
        self.events = events
        self.host = host
        self._port = port
        self.admin_handler = admin_handler
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self.fis = FisEngine(
            self.client,
            effects,
            events,
            clock=clock,
            seed=seed,
            stop_check_interval_s=stop_check_interval_s,
        )
        self._fis_http = FisResponses(self.fis)
        self.capacity = capacity or CapacityMeter(
            self.client("dynamodb"),
            clock=clock,
            describe=dynamodb_local.capacity if moto_in_process else None,
        )
        self.identities = identities or IdentityMap()
        self.policies = PolicyStore(lambda: self.client("iam"))
        self.injected: Counter[str] = Counter()  # error code -> count, for `lab status`
        self._count_lock = threading.Lock()
        self._ec2 = Ec2Responses(
            effects=effects,
            events=events,
            identities=self.identities,
            client=self.client,
            count=self._count,
            seed=seed,
        )
        # moto_in_process: moto_endpoint is served by this very process (the lab's own), so
        # plain GetItems may be read from its backend (dynamodb/local.py)
        self._dynamodb = DynamoDbResponses(
            self.capacity, self.forward, self._count, local=moto_in_process
        )
        self._local = threading.local()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """An admin client straight to moto (the control plane's own calls skip the gateway)."""
        key = (service, region)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = make_client(
                    service, self.moto_endpoint, region, timeout_s=30, attempts=3
                )
            return self._clients[key]

    # --- lifecycle ---

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Listen (returns once the socket accepts connections) and serve in the background."""
        if self._server is not None:
            return
        server = _Server((self.host, self._port))
        server.gateway = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="lab-gateway"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop experiments (reverting their effects), then stop serving and free the port."""
        self.fis.shutdown()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def status(self) -> dict[str, Any]:
        """A JSON-able view for ``lab status``: endpoint, experiments, injected errors."""
        experiments = [
            {"id": e.id, "template_id": e.template.id, "status": e.status.value, "reason": e.reason}
            for e in self.fis.list_experiments()
        ]
        return {
            "url": self.url,
            "listening": self._server is not None,
            "experiments": experiments,
            "injected_errors": dict(self.injected),
        }

    # --- request handling ---

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path, query = split.path, split.query
        if path.startswith("/_lab/"):
            return self._admin(method, path, query, body)
        lower = {k.lower(): v for k, v in headers.items()}
        scope = parse_scope(lower.get("authorization"), query)
        service = scope.service if scope else ""
        if scope is not None:
            denied = self._enforce_iam(scope.access_key_id, service, method, raw_path, lower, body)
            if denied:
                return denied
        if service == "fis" and scope is not None:
            return self._fis_http.dispatch(method, path, query, body, scope.region)
        form: dict[str, str] = {}
        if service == "ec2" and scope is not None:
            form = self._form(query, body)
            refused = self._ec2.refuse(scope, form)
            if refused:
                return refused
        target = lower.get("x-amz-target", "")
        if target.startswith(TARGET_PREFIX):
            operation = target[len(TARGET_PREFIX) :]
            return self._dynamodb.dispatch(
                method,
                raw_path,
                headers,
                body,
                operation,
                region=scope.region if scope else "us-east-1",
                access_key=scope.access_key_id if scope else "",
            )
        status, out_headers, payload = self.forward(method, raw_path, headers, body)
        if service == "ec2" and scope is not None:
            self._ec2.observe(scope, form, status)
        if (
            service == "sts"
            and status == 200
            and self._form(query, body).get("Action") == "AssumeRole"
        ):
            self.identities.observe_assume_role(payload)
        return status, out_headers, payload

    def _enforce_iam(
        self, key: str, service: str, method: str, raw_path: str, lower: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes] | None:
        role = self.identities.role_for(key)
        patterns = self.policies.patterns(role) if role else None
        if role is None or patterns is None:
            return None
        action, protocol = operation_of(service, method, raw_path, lower, body)
        if allows(patterns, action):
            return None
        self._count("AccessDenied")
        self.events.record("access-denied", role=role, action=action)
        return access_denied(protocol, action, role)

    def _admin(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.admin_handler is None:
            status, doc = 404, {"message": f"no lab admin handler for {path}"}
        else:
            status, doc = self.admin_handler(method, path, query, body)
        return status, {"Content-Type": "application/json"}, json.dumps(doc, default=str).encode()

    @staticmethod
    def _form(query: str, body: bytes) -> dict[str, str]:
        fields = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return fields
        fields.update({k: v[0] for k, v in parse_qs(text).items()})
        return fields

    def _count(self, code: str) -> None:
        with self._count_lock:
            self.injected[code] += 1

    # --- forwarding ---

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self._moto_host, self._moto_port, timeout=60)
            self._local.conn = conn
        return conn

    def forward(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Send the request to moto as it came; moto's status, headers and body."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.putrequest(method, raw_path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers.items():
                    if name.lower() not in _HOP:
                        conn.putheader(name, value)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                payload = resp.read()
                out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}
                if method == "HEAD":
                    out["Content-Length"] = resp.getheader("Content-Length") or "0"
                return resp.status, out, payload
            except (http.client.HTTPException, OSError):
                # A kept-alive connection moto closed meanwhile: reconnect once.
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
