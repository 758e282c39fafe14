"""The lab's alarm evaluator reads the lab's own CloudWatch the way it reads moto's.

The lab's CloudWatch rounds StartTime down to a division of the minute, as CloudWatch does, where
moto starts its buckets at StartTime; the evaluator reads sub-minute alarms at one-second
buckets, which are the same on both, so an alarm goes to ALARM and back on the same data. Same
scenario as ``tests/lab/control/test_control_alarms.py`` (against plain moto there), with a start
that is not on a period boundary.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3

from cdevops_lab.cloudwatch.alarms import AlarmEvaluator
from cdevops_lab.truth.events import EventLog
from tests.lab.control.conftest import FakeClock
from tests.lab.control.test_control_alarms import make_alarm, put, state


def test_alarm_goes_to_alarm_and_back_on_the_lab_cloudwatch(endpoint: str) -> None:
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    make_alarm(cw)
    base = float(int(datetime.now(UTC).timestamp()) // 60 * 60 - 300 + 3)  # 3 s past a boundary
    clock = FakeClock(base)
    events = EventLog()
    evaluator = AlarmEvaluator(cw, events, clock=clock)
    evaluator.evaluate_all()
    assert state(cw) == "INSUFFICIENT_DATA"
    for t in (base + 2, base + 12):
        put(cw, t, 4)
        put(cw, t + 1, 4)  # 8 in each of the alarm's 10 s periods (from base): > 5
    clock.advance(20)
    evaluator.evaluate_all()
    assert state(cw) == "ALARM"
    put(cw, base + 25, 1)
    put(cw, base + 35, 1)
    clock.advance(20)
    evaluator.evaluate_all()
    assert state(cw) == "OK"
