"""What the journal keeps of a Chaos Toolkit activity: redacted arguments and named targets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cdevops_chaos.engine.activities import (
    REDACTED,
    activity_record,
    failed_record,
    finish_record,
    redacted_arguments,
)

SECRETS = {"app": {"token": "tok-123", "password": "hunter2"}}
CONFIG = {"aws_region": "us-east-1", "zone": "us-east-1b"}


def _action(arguments: Any, **provider: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": "a",
        "provider": {
            "type": "python",
            "module": "m",
            "func": "f",
            "arguments": arguments,
            **provider,
        },
    }


def test_configuration_substituted_secrets_redacted() -> None:
    args = {"az": "${zone}", "header": "Bearer ${token}", "note": "plain"}
    assert redacted_arguments(args, CONFIG, SECRETS) == {
        "az": "us-east-1b",
        "header": f"Bearer {REDACTED}",
        "note": "plain",
    }


def test_secret_values_written_literally_and_credential_names_are_redacted() -> None:
    args = {"url": "https://x/?p=hunter2", "api_key": "abc", "nested": [{"password": "x"}]}
    assert redacted_arguments(args, {}, SECRETS) == {
        "url": f"https://x/?p={REDACTED}",
        "api_key": REDACTED,
        "nested": [{"password": REDACTED}],
    }


def test_targets_from_arguments_and_output() -> None:
    record = activity_record(
        _action(
            {"az": "us-east-1a", "asg_names": ["shop"], "instance_ids": ["i-0123456789abcdef0"]}
        ),
        "method",
        {},
        {},
    )
    assert {(t.type, t.id) for t in record.targets} == {
        ("availability-zone", "us-east-1a"),
        ("autoscaling:group", "shop"),
        ("ec2:instance", "i-0123456789abcdef0"),
    }
    output = [
        {"StoppingInstances": [{"InstanceId": "i-00000000000000001"}]},
        {"arn": "arn:aws:rds:us-east-1:123456789012:cluster:db", "other": "i-notanid"},
    ]
    finish_record(
        record,
        {
            "status": "succeeded",
            "output": output,
            "start": "2026-11-29T05:40:00+00:00",
            "end": "2026-11-29T05:40:01",
        },
        dry=False,
    )
    found = {(t.type, t.id, t.detail) for t in record.targets}
    assert ("ec2:instance", "i-00000000000000001", "in the output") in found
    assert ("rds", "arn:aws:rds:us-east-1:123456789012:cluster:db", "in the output") in found
    assert not any(t.id == "i-notanid" for t in record.targets)
    assert record.ended_at == datetime(2026, 11, 29, 5, 40, 1, tzinfo=UTC)  # naive read as UTC
    assert record.status == "succeeded"


def test_failed_run_keeps_the_last_line_of_the_exception() -> None:
    record = activity_record(_action(None), "rollback", {}, {})
    run = {"status": "failed", "exception": ["Traceback...\n", "ActivityFailed: boom\n"]}
    finish_record(record, run, dry=False)
    assert (record.phase, record.status, record.error) == (
        "rollback",
        "failed",
        "ActivityFailed: boom",
    )


def test_dry_run_action_is_skipped_and_an_interrupted_one_failed() -> None:
    record = activity_record(_action({}), "method", {}, {})
    finish_record(record, {"status": "succeeded", "output": None}, dry=True)
    assert record.status == "skipped"
    other = activity_record(
        {"type": "action", "name": "p", "provider": {"type": "process", "path": "sleep"}},
        "method",
        {},
        {},
    )
    assert (other.provider, other.module, other.func) == ("process", "sleep", None)
    failed_record(other, KeyboardInterrupt(), datetime(2026, 1, 1, tzinfo=UTC))
    assert (other.status, other.error) == ("failed", "KeyboardInterrupt")


def test_deeply_nested_output_is_bounded() -> None:
    deep: Any = "i-00000000000000001"
    for _ in range(50):
        deep = [deep]
    record = activity_record(_action({}), "method", {}, {})
    finish_record(record, {"status": "succeeded", "output": deep}, dry=False)
    assert record.targets == []  # beyond the walk's depth: not searched, no crash
