"""After an AZ loss ends, the autoscaler moves capacity back across the AZs (AZRebalance).

The shop loses one AZ's instances (plain boto3 StopInstances), the autoscaler replaces them in
the other two, and once the lost AZ's quarantine is over the fleet returns to its baseline of
two per AZ — each move launching in the emptier AZ first and terminating in the fuller one only
once the new instance is healthy, so the instances in service never drop below desired. Before
this, the replacements stayed where they were and the next AZ-loss run stopped 0 instances.
"""

from __future__ import annotations

from collections.abc import Callable

from cdevops_lab.cli import render_status
from cdevops_lab.status import in_service
from cdevops_lab.workload.shop import Shop
from tests.lab.workload.conftest import aws
from tests.support.waiting import wait_for

AZ = "us-east-1a"


def test_capacity_returns_to_baseline_launching_before_terminating(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    shop = make_shop(az_quarantine_s=2.0)
    assert shop.status()["drift"]["drifted"] is False
    aws(moto, "ec2").stop_instances(InstanceIds=shop.topology.instance_ids[AZ])

    def serving() -> int:
        return sum(in_service(zone) for zone in shop.status()["azs"].values())

    # the replacements go to the other zones: drifted, and lab status says so with the baseline
    assert wait_for(lambda: shop.status()["drift"]["now"][AZ] == 0 and serving() >= 6, "6 outside")
    drifted = shop.status()
    assert drifted["drift"]["drifted"] is True
    text = render_status({"running": True, "lab": {"pid": 1, "endpoint": "x"}, "status": drifted})
    assert "drifted from baseline (us-east-1a 0/2" in text, text

    lowest: list[int] = []

    def rebalanced() -> bool:
        lowest.append(serving())
        return shop.status()["drift"]["drifted"] is False

    assert wait_for(rebalanced, "the fleet back at 2 per AZ", 60, every_s=0.2)
    events = [e.as_dict() for e in shop.events.since(None)]
    assert min(lowest) >= 6, f"capacity dipped while rebalancing: {lowest} {events}"

    launches = [e for e in events if e["kind"] == "rebalance-launch"]
    assert [e["az"] for e in launches] == [AZ, AZ]
    for launch in launches:
        iid = launch["instance_id"]
        order = [(e["kind"], e.get("instance_id"), e.get("reason")) for e in events]
        healthy_at = order.index(("instance-healthy", iid, None))
        swaps = [
            n
            for n, (kind, _, reason) in enumerate(order)
            if kind == "autoscaler-terminate" and reason == "rebalance"
        ]
        assert any(n > healthy_at for n in swaps), "terminated before the new one served"
    assert shop.autoscaler.status()["rebalances"] == 2
    assert "capacity: at baseline" in render_status(
        {"running": True, "lab": {"pid": 1, "endpoint": "x"}, "status": shop.status()}
    )
