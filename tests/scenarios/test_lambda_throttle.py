"""lambda-throttle on moto server: the reservation is capped, then the previous one (or none) is
put back with the function's whole GetFunction output, from the journal or from its tags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import FaultError, Inconclusive, RevertFailed
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.scenarios.lambda_throttle import LambdaThrottle, reserved_of
from tests.faults.conftest import make_clients, make_ctx
from tests.scenarios.worlds import comparable_function, make_function


def _fault(clients: ClientFactory, function: str, **params: Any) -> LambdaThrottle:
    spec = load_catalogue()["lambda-throttle"]
    given = {"function": function, "duration": "30s", **params}
    assert registry.parameter_problems(spec, given) == []
    fault = registry.build_fault(
        "lambda-throttle", resolve_parameters(spec, given), clients, make_ctx()
    )
    assert isinstance(fault, LambdaThrottle)
    return fault


@pytest.mark.parametrize("previous", [None, 50])
def test_cap_then_restore_the_previous_reservation_exactly(
    clients: ClientFactory, previous: int | None
) -> None:
    make_function(clients, "payments", previous)
    before = comparable_function(clients, "payments")
    fault = _fault(clients, "payments")
    handle = fault.revert_handle()
    assert handle["previous"] == previous

    fault.inject(handle)
    fault.wait_active(handle, timeout_s=5)
    lam = clients.client("lambda")
    assert reserved_of(lam, "payments") == 0
    tags = lam.list_tags(Resource=handle["function_arn"])["Tags"]
    assert tags["cdevops:original"] == f"reserved={'none' if previous is None else previous}"

    fresh = make_clients(clients.target.endpoint_url or "")
    message = LambdaThrottle.revert(json.loads(json.dumps(handle)), fresh)
    expected = "no reserved concurrency" if previous is None else "reserved concurrency 50"
    assert message == f"restored function payments to {expected}"
    assert comparable_function(clients, "payments") == before
    assert "nothing to restore" in LambdaThrottle.revert(handle, fresh)


def test_cleanup_without_the_journal_restores_from_the_tags(clients: ClientFactory) -> None:
    make_function(clients, "payments", 20)
    make_function(clients, "other", None)
    before = comparable_function(clients, "payments")
    fault = _fault(clients, "payments", reserved_concurrency=2)
    fault.inject(fault.revert_handle())  # the run dies here, journal lost

    (orphan,) = LambdaThrottle.find_orphans(clients)
    assert (orphan["function"], orphan["previous"]) == ("payments", 20)
    assert registry.revert_handle(orphan, clients) == (
        "restored function payments to reserved concurrency 20"
    )
    assert comparable_function(clients, "payments") == before
    assert LambdaThrottle.find_orphans(clients) == []


def test_a_cap_that_throttles_nothing_or_no_function_is_inconclusive(
    clients: ClientFactory,
) -> None:
    make_function(clients, "payments", 3)
    with pytest.raises(Inconclusive, match="already has reserved concurrency 3"):
        _fault(clients, "payments", reserved_concurrency=5).plan()
    with pytest.raises(Inconclusive, match="no Lambda function ghost"):
        _fault(clients, "ghost").plan()


def test_dry_run_and_a_never_injected_handle_change_nothing(clients: ClientFactory) -> None:
    make_function(clients, "payments", None)
    before = comparable_function(clients, "payments")
    spec = load_catalogue()["lambda-throttle"]
    params = resolve_parameters(spec, {"function": "payments"})
    dry = registry.build_fault("lambda-throttle", params, clients, make_ctx(dry_run=True))
    dry.inject(dry.revert_handle())
    handle = _fault(clients, "payments").revert_handle()
    assert "never changed" in LambdaThrottle.revert(handle, clients)
    assert comparable_function(clients, "payments") == before


def test_a_refused_cap_leaves_the_function_as_it_was(clients: ClientFactory) -> None:
    make_function(clients, "payments", 40)
    before = comparable_function(clients, "payments")
    lam = clients.client("lambda")

    def refuse(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "InvalidParameterValueException", "Message": "unreserved < 100"}},
            "PutFunctionConcurrency",
        )

    fault = _fault(clients, "payments")
    handle = fault.revert_handle()
    event = "before-parameter-build.lambda.PutFunctionConcurrency"
    lam.meta.events.register(event, refuse)
    try:
        with pytest.raises(FaultError, match="InvalidParameterValueException"):
            fault.inject(handle)
    finally:
        lam.meta.events.unregister(event, refuse)
    assert comparable_function(clients, "payments") == before


def test_a_failed_revert_is_loud_and_names_the_command(clients: ClientFactory) -> None:
    make_function(clients, "payments", 25)
    fault = _fault(clients, "payments")
    handle = fault.inject(fault.revert_handle())
    lam = clients.client("lambda")

    def refuse(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutFunctionConcurrency"
        )

    event = "before-parameter-build.lambda.PutFunctionConcurrency"
    lam.meta.events.register(event, refuse)
    try:
        with pytest.raises(RevertFailed, match="still has reserved concurrency 0") as caught:
            LambdaThrottle.revert(handle, clients)
    finally:
        lam.meta.events.unregister(event, refuse)
    assert caught.value.hint == (
        "run by hand: aws lambda --region us-east-1 put-function-concurrency "
        "--function-name payments --reserved-concurrent-executions 25"
    )
    assert "restored" in LambdaThrottle.revert(handle, clients)  # once allowed, it restores
