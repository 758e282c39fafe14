"""Canary writers against a real loopback HTTP service and a DynamoDB table in moto server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary
from cdevops_chaos.recovery.canary import CanaryRunner, record_id
from cdevops_chaos.recovery.rpo import measure_rpo


class OrdersService(ThreadingHTTPServer):
    """A tiny orders API: POST /orders stores, GET /orders/<id> reads. Can lose or refuse seqs."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.orders: dict[str, dict[str, object]] = {}
        self.lose: set[int] = set()  # acknowledged but not stored
        self.refuse: set[int] = set()  # answered 503, not stored
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: OrdersService

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        seq = body["seq"]
        if seq in self.server.refuse:
            self.send_response(503)
            self.end_headers()
            return
        if seq not in self.server.lose:
            with self.server.lock:
                self.server.orders[body["id"]] = body
        self.send_response(201)
        self.end_headers()

    def do_GET(self) -> None:
        oid = self.path.rsplit("/", 1)[-1]
        with self.server.lock:
            order = self.server.orders.get(oid)
        if order is None:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(order).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def orders() -> Iterator[OrdersService]:
    server = OrdersService()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class StepClock:
    """A clock that advances 100ms on every reading: timestamps independent of the machine."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
        self.lock = threading.Lock()

    def now(self) -> datetime:
        with self.lock:
            self.t += timedelta(milliseconds=100)
            return self.t


def run_until(runner: CanaryRunner, count: int) -> None:
    runner.start()
    deadline = time.monotonic() + 20
    try:
        while len(runner.writes) < count:
            assert time.monotonic() < deadline, "canary wrote too slowly"
            time.sleep(0.005)
    finally:
        runner.stop()


def test_http_canary_measures_lost_and_unacked_writes(orders: OrdersService):
    orders.lose = {4, 5, 6}
    orders.refuse = {8}
    spec = HttpCanary(
        write_url=f"{orders.base}/orders",
        read_url=f"{orders.base}/orders/{{id}}",
        interval=0.005,
        timeout=2,
    )
    runner = CanaryRunner(spec, "r1", None, StepClock())
    run_until(runner, 12)
    writes = runner.read_back()
    assert [w.seq for w in writes] == list(range(1, len(writes) + 1))
    assert all(w.sent_at.tzinfo is not None for w in writes)
    by_seq = {w.seq: w for w in writes}
    assert by_seq[8].acked_at is None
    assert all(by_seq[s].acked_at is not None for s in (1, 2, 3, 4, 5, 6, 7, 9))
    assert [s for s, w in by_seq.items() if w.durable is False] == [4, 5, 6, 8]
    # What the service stored is exactly what the canary sent, under its documented id.
    stored = orders.orders[record_id("r1", 2)]
    assert stored["seq"] == 2 and stored["id"] == "canary-r1-2"
    assert datetime.fromisoformat(str(stored["sent_at"])) == by_seq[2].sent_at

    m = measure_rpo(writes)
    assert m.lost_seqs == (4, 5, 6)
    assert m.unacked == 1
    assert m.rpo_s == (by_seq[6].acked_at - by_seq[3].acked_at).total_seconds()  # type: ignore[operator]


def test_http_canary_with_service_down_is_all_unacked():
    spec = HttpCanary(
        write_url="http://127.0.0.1:9/orders",  # discard port: connection refused
        read_url="http://127.0.0.1:9/orders/{id}",
        interval=0.005,
        timeout=0.5,
    )
    runner = CanaryRunner(spec, "down", None, StepClock())
    run_until(runner, 3)
    writes = runner.read_back()
    assert all(w.acked_at is None and w.durable is False for w in writes)
    assert measure_rpo(writes).rpo_s == 0.0


def test_start_twice_is_refused(orders: OrdersService):
    spec = HttpCanary(f"{orders.base}/orders", f"{orders.base}/orders/{{id}}", interval=0.01)
    runner = CanaryRunner(spec, "twice")
    runner.start()
    try:
        with pytest.raises(RuntimeError):
            runner.start()
    finally:
        runner.stop()


@pytest.fixture
def clients(moto: str) -> ClientFactory:
    return ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=moto))


def _table(clients: ClientFactory, region: str, name: str = "canary") -> None:
    clients.client("dynamodb", region).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_dynamodb_canary_detects_deleted_items(clients: ClientFactory):
    _table(clients, "us-east-1")
    spec = DynamoDbCanary(table="canary", interval=0.005, region="us-east-1")
    runner = CanaryRunner(spec, "ddb", clients, StepClock())
    run_until(runner, 6)
    ddb = clients.client("dynamodb", "us-east-1")
    item = ddb.get_item(TableName="canary", Key={"pk": {"S": "canary-ddb-1"}})["Item"]
    assert item["seq"] == {"N": "1"}
    for seq in (3, 4):  # the "failover" lost these
        ddb.delete_item(TableName="canary", Key={"pk": {"S": record_id("ddb", seq)}})
    writes = runner.read_back()
    assert all(w.acked_at is not None for w in writes)
    m = measure_rpo(writes)
    assert m.lost_seqs == (3, 4)
    by_seq = {w.seq: w for w in writes}
    assert m.rpo_s == (by_seq[4].acked_at - by_seq[2].acked_at).total_seconds()  # type: ignore[operator]


def test_dynamodb_canary_reads_back_from_the_replica_region(clients: ClientFactory):
    _table(clients, "us-east-1")
    _table(clients, "us-west-2")
    spec = DynamoDbCanary(
        table="canary", interval=0.005, region="us-east-1", read_region="us-west-2"
    )
    runner = CanaryRunner(spec, "gt", clients, StepClock())
    run_until(runner, 5)
    # A replica that caught up with the first two writes only.
    west = clients.client("dynamodb", "us-west-2")
    for seq in (1, 2):
        west.put_item(TableName="canary", Item={"pk": {"S": record_id("gt", seq)}})
    writes = runner.read_back()
    assert [w.durable for w in writes][:2] == [True, True]
    assert not any(w.durable for w in writes[2:])


def test_dynamodb_writes_to_a_missing_table_are_unacked(clients: ClientFactory):
    spec = DynamoDbCanary(table="nope", interval=0.005, region="us-east-1")
    runner = CanaryRunner(spec, "nt", clients, StepClock())
    run_until(runner, 2)
    assert all(w.acked_at is None for w in runner.writes)


def test_dynamodb_canary_needs_clients():
    with pytest.raises(ValueError, match="client factory"):
        CanaryRunner(DynamoDbCanary(table="t"), "x", None)
