"""Fixtures for the lab's data plane: the shop workload running against a real moto server.

No gateway here: the workload needs only an AWS endpoint and an ``Effects`` object, so these
tests point it straight at the session's moto server (reset per test) and change the world the
way a user would, with boto3 calls (stop instances, swap a subnet's network ACL). Knobs are short
(launch delay 1 s, half-second ticks and health checks) and every wait is bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from cdevops_lab.config import LabConfig
from cdevops_lab.effects import Effects
from cdevops_lab.seed import seed
from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.shop import Shop
from tests.support.waiting import wait_for

FAST = {
    "gateway_port": 0,
    "alb_port": 0,
    "launch_delay_s": 1.0,
    "health_check_interval_s": 0.5,
    # A healthy instance is marked unhealthy after two checks in a row unanswered within the
    # timeout; its server is a thread of this test process, and on two loaded cores the default
    # 0.5 s is a small margin for tests asserting that no healthy instance ever drops out (the
    # rebalance test's "never below 6"). 1 s doubles it and only slows the detection of truly
    # hung targets (blackhole) by a second.
    "health_check_timeout_s": 1.0,
    "health_check_grace_s": 2.0,
    "tick_s": 0.5,
    "baseline_rps": 20.0,
}


def aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def make_shop(moto: str) -> Iterator[Callable[..., Shop]]:
    """Seed the shop into a fresh moto and start it; every shop is stopped at teardown."""
    shops: list[Shop] = []

    def _make(effects: Effects | None = None, endpoint: str | None = None, **knobs: Any) -> Shop:
        config = LabConfig(**{**FAST, **knobs})
        target = endpoint or moto
        topology = seed(target, config)
        shop = Shop(
            endpoint=target,
            internal_endpoint=moto,
            config=config,
            topology=topology,
            effects=effects or Effects(),
            events=EventLog(),
        )
        shops.append(shop)
        shop.start()
        assert wait_for(shop.ready, "shop.ready", 30), "the shop never became ready"
        return shop

    yield _make
    for shop in shops:
        shop.stop()
