"""Notifications: a webhook on a local HTTP server, SNS on moto, and failures that stay warnings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cdevops_chaos.notify import notify
from cdevops_chaos.suite.model import NotifySettings, SnsSettings, WebhookSettings
from tests.conftest import free_port
from tests.support.chaos_world import make_clients
from tests.support.procs import serving


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(HTTPServer(("127.0.0.1", free_port()), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_port}/hook", received


def test_webhook_gets_slack_compatible_json(hook: tuple[str, list[dict[str, str]]]) -> None:
    url, received = hook
    settings = NotifySettings(webhook=WebhookSettings(url_env="HOOK"))
    sent, warnings = notify(
        settings, "cdevops-chaos nightly: breached", "failing: b", passed=False, env={"HOOK": url}
    )
    assert (sent, warnings) == (["webhook: HTTP 200"], [])
    (body,) = received
    assert (
        body["text"].startswith("*cdevops-chaos nightly: breached*")
        and "failing: b" in body["text"]
    )


def test_when_failure_sends_nothing_on_a_pass(hook: tuple[str, list[dict[str, str]]]) -> None:
    url, received = hook
    settings = NotifySettings(when="failure", webhook=WebhookSettings(url=url))
    assert notify(settings, "s", "t", passed=True) == ([], [])
    assert received == []


def test_a_failed_notification_is_a_warning_never_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    monkeypatch.setenv("CDEVOPS_LAB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    settings = NotifySettings(
        webhook=WebhookSettings(url=dead),
        sns=SnsSettings("arn:aws:sns:us-east-1:123456789012:none", target="lab"),
    )
    sent, warnings = notify(settings, "s", "t", passed=False, env={})
    assert sent == []
    assert [w.split(":")[0:2] for w in warnings] == [
        ["notification not sent", " webhook"],
        ["notification not sent", " sns"],
    ]
    unset = notify(
        NotifySettings(webhook=WebhookSettings(url_env="NOPE")), "s", "t", passed=False, env={}
    )
    assert unset == ([], ["notification not sent: webhook: $NOPE is not set"])


def test_sns_publishes_to_the_topic(localstack_env: str) -> None:
    clients = make_clients(localstack_env)
    topic = clients.client("sns").create_topic(Name="chaos")["TopicArn"]
    sqs = clients.client("sqs")
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings = NotifySettings(sns=SnsSettings(topic, target="localstack"))
    sent, warnings = notify(settings, "cdevops-chaos nightly: passed", "all good", passed=True)
    assert warnings == [] and sent[0].startswith("sns: message ")
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "cdevops-chaos nightly: passed" and body["Message"] == "all good"
