"""The journal's canary block: its keys, the send-gap figure, and the round trip through the
journal reader (``Journal.from_dict``, ``recovery.analysis.canary_writes``), old journals too."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cdevops_chaos.canary import ScheduleReport, canary_block
from cdevops_chaos.canary.journal import max_send_gap
from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.recovery.analysis import canary_writes
from cdevops_chaos.recovery.rpo import CanaryWrite

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
SPEC = HttpCanary("http://127.0.0.1:1/o", "http://127.0.0.1:1/o/{id}")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


WRITES = [
    CanaryWrite(1, at(0.0), at(0.01), True, "201", "200"),
    CanaryWrite(2, at(0.2), at(0.21), False, "201", "404"),
    CanaryWrite(3, at(0.4), None, None, "504", None),
    CanaryWrite(4, at(1.1), at(1.12), None, "201", "503"),  # sent 0.7 s after the one before
    CanaryWrite(5, at(1.3), at(1.31), True, "201", "200"),
]


def test_the_block_has_per_write_outcomes_counts_and_the_max_send_gap():
    block = canary_block(SPEC, list(reversed(WRITES)))
    assert [w["seq"] for w in block["writes"]] == [1, 2, 3, 4, 5]
    assert block["writes"][2] == {
        "seq": 3,
        "sent_at": at(0.4).isoformat(),
        "acked_at": None,
        "durable": None,
        "status": "504",
        "read_status": None,
    }
    assert block["lost"] == [2] and block["unconfirmed"] == [4]
    assert (block["acked"], block["unacked"]) == (4, 1)
    assert block["max_send_gap_s"] == 0.7
    assert (block["type"], block["interval_s"], block["timeout_s"]) == ("http", 0.2, 2.0)
    assert "schedule" not in block


def test_the_schedule_report_goes_in_when_known():
    report = ScheduleReport("process", 21, 7, at(-0.1), at(2.0))
    block = canary_block(DynamoDbCanary(table="t", interval=0.1), WRITES, report)
    assert block["type"] == "dynamodb"
    assert block["schedule"] == {
        "mode": "process",
        "concurrency": 21,
        "max_in_flight": 7,
        "started_at": at(-0.1).isoformat(),
        "stopped_at": at(2.0).isoformat(),
    }


def test_max_send_gap_needs_two_sends():
    assert max_send_gap([]) is None and max_send_gap(WRITES[:1]) is None
    assert max_send_gap(WRITES[:2]) == 0.2


def read(block: dict) -> list[CanaryWrite]:
    return canary_writes(Journal.from_dict({"cdevops": {"canary": block}}).ours)


def test_round_trip_through_the_journal_reader():
    block = json.loads(json.dumps(canary_block(SPEC, WRITES)))
    assert read(block) == WRITES


def test_an_old_journal_block_still_reads():
    old = {
        "type": "http",
        "interval_s": 0.2,
        "writes": [
            {
                "seq": 1,
                "sent_at": at(0).isoformat(),
                "acked_at": at(0.01).isoformat(),
                "durable": True,
            },
            {"seq": 2, "sent_at": at(0.2).isoformat(), "acked_at": None, "durable": False},
        ],
        "lost": [],
        "acked": 1,
        "unacked": 1,
    }
    assert read(old) == [
        CanaryWrite(1, at(0), at(0.01), True),
        CanaryWrite(2, at(0.2), None, False),
    ]
