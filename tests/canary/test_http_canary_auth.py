"""The HTTP canary against an API that demands credentials (issue 9, item 9).

A loopback orders API answers 401 unless a request carries an API key header and a bearer
token; the canary's headers come from an environment variable and from a Chaos Toolkit secret,
its body from a template. Through the CLI, a run against it measures RPO (writes acknowledged
and read back), and the credential values appear in no file the run leaves and nothing it
prints. Units: basic auth, body templates, a missing variable refused before injection, and the
experiment file's checks (credentials never literal, secrets declared, Authorization via auth).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.canary.credentials import CanaryCredentialsMissing, resolve_headers
from cdevops_chaos.canary.ops import HttpRecords, ReadResult, record_id
from cdevops_chaos.experiment.loader import problems_of
from cdevops_chaos.experiment.model import HttpAuth, HttpCanary, ValueRef
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    healthy,
    run_cli,
    write_experiment,
)
from tests.support.orders_service import OrdersService, serving
from tests.support.procs import only_journal

RUN = ("run", "--target", "localstack", "--report-dir", "out")
API_KEY = "k3y-only-in-the-environment"
TOKEN = "t0ken-only-in-a-ctk-secret"


@pytest.fixture
def orders() -> Iterator[OrdersService]:
    with serving() as service:
        service.required_headers = {"X-Api-Key": API_KEY, "Authorization": f"Bearer {TOKEN}"}
        yield service


def _spec(service: OrdersService, **kw: Any) -> HttpCanary:
    return HttpCanary(
        write_url=f"{service.base}/orders", read_url=f"{service.base}/orders/{{id}}", **kw
    )


def test_headers_and_bearer_from_env_and_secret_are_sent(orders: OrdersService) -> None:
    spec = _spec(
        orders,
        headers=(("X-Api-Key", ValueRef(env="SHOP_KEY")),),
        auth=HttpAuth(type="bearer", token=ValueRef(secret="shop.token")),
        body='{"id": "{id}", "seq": {seq}, "note": "canary of {run_id}"}',
    )
    headers = resolve_headers(spec, {"shop": {"token": TOKEN}}, {"SHOP_KEY": API_KEY})
    records = HttpRecords(spec, "r1", headers=headers)
    written = records.write(1, datetime.now(UTC))
    assert written.acked_at is not None and written.status == "201"
    assert orders.orders[record_id("r1", 1)]["note"] == "canary of r1"  # the template's body
    assert records.read(1).result is ReadResult.PRESENT
    # the same canary without its credentials is refused: unacknowledged, and no answer
    bare = HttpRecords(spec, "r1")
    assert bare.write(2, datetime.now(UTC)).acked_at is None
    assert bare.read(1).result is ReadResult.NO_ANSWER
    assert orders.refused == 2


def test_basic_auth_and_a_missing_variable() -> None:
    spec = HttpCanary(
        "http://127.0.0.1:9/o",
        "http://127.0.0.1:9/o/{id}",
        auth=HttpAuth(
            type="basic", username=ValueRef(literal="shop"), password=ValueRef(env="SHOP_PW")
        ),
    )
    headers = resolve_headers(spec, {}, {"SHOP_PW": "s3cret"})
    assert headers == {"Authorization": "Basic " + base64.b64encode(b"shop:s3cret").decode()}
    with pytest.raises(CanaryCredentialsMissing, match="SHOP_PW, which is not set"):
        resolve_headers(spec, {}, {})


def _canary_yaml(url: str) -> str:
    return f"""
    canary:
      type: http
      write:
        url: "{url}/orders"
        method: POST
        body: '{{"id": "{{id}}", "seq": {{seq}}, "sent_at": "{{sent_at}}"}}'
      read: {{url: "{url}/orders/{{id}}", method: GET}}
      headers:
        X-Api-Key: {{env: SHOP_KEY}}
      auth: {{type: bearer, token: {{secret: shop.token}}}}
      interval: 100ms"""


def _experiment(tmp_path: Path, world: World, orders: OrdersService) -> Path:
    """A blackhole run with the authenticating canary and its Chaos Toolkit secret."""
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        extra_extension=_canary_yaml(orders.base),
    )
    text = path.read_text()
    text = text.replace(
        "configuration:",
        "secrets:\n  shop:\n    token: {type: env, key: SHOP_TOKEN}\nconfiguration:",
    )
    path.write_text(text)
    return path


def test_a_run_through_the_cli_writes_with_credentials_and_never_records_them(
    world: World, orders: OrdersService, tmp_path: Path
) -> None:
    path = _experiment(tmp_path, world, orders)
    env = {"SHOP_KEY": API_KEY, "SHOP_TOKEN": TOKEN}
    with Publisher(world, healthy):
        done = run_cli(world, tmp_path, *RUN, str(path), env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    journal = only_journal(tmp_path / "out")
    canary = journal["cdevops"]["canary"]
    assert canary["acked"] > 3 and canary["lost"] == [] and canary["unconfirmed"] == []
    assert orders.refused == 0
    assert journal["cdevops"]["measured"]["rpo_s"] == 0
    # the values are nowhere the run wrote or printed; the references are in the journal
    for file in (tmp_path / "out").rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert API_KEY.encode() not in data and TOKEN.encode() not in data, file
    assert API_KEY not in done.stdout + done.stderr and TOKEN not in done.stdout + done.stderr
    assert "SHOP_KEY" in json.dumps(journal["experiment"])


def test_a_run_without_the_variable_stops_before_injection(
    world: World, orders: OrdersService, tmp_path: Path
) -> None:
    path = _experiment(tmp_path, world, orders)
    acls = world.acl_map()
    assert "SHOP_KEY" not in os.environ
    with Publisher(world, healthy):
        done = run_cli(world, tmp_path, *RUN, str(path), env={"SHOP_TOKEN": TOKEN}, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "environment variable SHOP_KEY, which is not set" in done.stderr
    assert world.acl_map() == acls  # nothing was injected


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("auth: {type: bearer, token: literal-token}", "never the file itself"),
        ("auth: {type: bearer, token: {secret: nope.token}}", "not declared"),
        ("headers: {Authorization: x}", "through `auth`"),
        ("headers: {'bad header': x}", "not a valid header name"),
        ("auth: {type: basic, username: u}", "needs a password"),
    ],
)
def test_bad_credentials_in_the_file_are_located_problems(
    tmp_path: Path, fragment: str, message: str
) -> None:
    text = f"""
    canary:
      type: http
      write: {{url: "http://127.0.0.1:9/orders"}}
      read: {{url: "http://127.0.0.1:9/orders/{{id}}", method: HEAD}}
      {fragment}"""
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml("vpc-1", "1s"))
    path.write_text(
        path.read_text().replace(
            "      measure_from: fault-start", "      measure_from: fault-start" + text
        )
    )
    problems = problems_of(path)
    assert any(message in p.message and p.line for p in problems), problems
