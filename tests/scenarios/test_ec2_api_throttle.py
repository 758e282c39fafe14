"""ec2-api-throttle on moto server: the template request per way of naming roles and per kind,
the parameter rules, and an empty role selection refused before anything is created (the effect
itself is tested against the lab's FIS in tests/lab/control)."""

from __future__ import annotations

from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import Inconclusive
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.faults.fis import FisFault
from tests.faults.conftest import make_ctx

ROLE_POLICY = '{"Version": "2012-10-17", "Statement": []}'


def _fault(clients: ClientFactory, **given: Any) -> FisFault:
    spec = load_catalogue()["ec2-api-throttle"]
    given = {"operations": ["RunInstances", "DescribeInstances"], "duration": "2m", **given}
    assert registry.parameter_problems(spec, given) == []
    fault = registry.build_fault(
        "ec2-api-throttle", resolve_parameters(spec, given), clients, make_ctx()
    )
    assert isinstance(fault, FisFault)
    return fault


def test_roles_by_tag_with_the_internal_error_kind(clients: ClientFactory) -> None:
    iam = clients.client("iam")
    iam.create_role(
        RoleName="shop-autoscaler",
        AssumeRolePolicyDocument=ROLE_POLICY,
        Tags=[{"Key": "chaos", "Value": "api"}],
    )
    iam.create_role(RoleName="bystander", AssumeRolePolicyDocument=ROLE_POLICY)
    fault = _fault(clients, role_tags={"chaos": "api"}, kind="internal", percentage=40)
    request = fault.template_request("arn:aws:iam::123456789012:role/fis")
    (action,) = request["actions"].values()
    assert action["actionId"] == "aws:fis:inject-api-internal-error"
    assert action["parameters"] == {
        "service": "ec2",
        "operations": "RunInstances,DescribeInstances",
        "percentage": "40",
        "duration": "PT2M",
    }
    assert list(request["targets"]) == ["Roles-By-Tag"]
    plan = fault.plan()
    assert [b.id for b in plan.blast_radius] == ["shop-autoscaler"]
    assert "40 % of the EC2 calls RunInstances, DescribeInstances of 1 IAM role(s)" in (
        plan.description
    )


def test_roles_by_arn_that_do_not_exist_are_inconclusive(clients: ClientFactory) -> None:
    fault = _fault(clients, role_arns=["arn:aws:iam::123456789012:role/ghost"])
    with pytest.raises(Inconclusive, match=r"no IAM role .*ghost"):
        fault.plan()
    assert clients.client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_parameter_rules() -> None:
    spec = load_catalogue()["ec2-api-throttle"]

    def problems(**given: Any) -> list[str]:
        return [m for _, m, _ in registry.parameter_problems(spec, given)]

    assert problems(operations=["RunInstances"]) == ["give exactly one of role_arns or role_tags"]
    assert problems(operations=["run instances"], role_tags={"a": "b"}) == [
        "not EC2 API operation names: ['run instances']"
    ]
    assert problems(operations=["RunInstances"], role_arns=["shop"]) == [
        "not IAM role ARNs: ['shop']"
    ]
    assert problems(operations=["X1"], role_tags={"a": "b"}, kind="slow") == [
        "must be one of throttle, internal, unavailable"
    ]
