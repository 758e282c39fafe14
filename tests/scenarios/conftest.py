"""Fixtures for the scenario tests: clients on a freshly reset moto server."""

from __future__ import annotations

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from tests.faults.conftest import make_clients


@pytest.fixture
def clients(moto: str) -> ClientFactory:
    return make_clients(moto)
