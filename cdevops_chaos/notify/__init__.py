"""Sending a suite's summary where a team will see it: a webhook and/or an SNS topic.

Only when the suite file asks (``notify:``), and only after the verdict is final: a notification
that fails is reported as a warning and **never changes the verdict or the exit code**. The
webhook receives Slack-compatible JSON (``{"text": ...}``) through the standard library; SNS is
reached through the target's own clients (``aws.clients``), the topic's region read from its
ARN. ``when: failure`` sends only when the suite did not pass.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping

from cdevops_chaos.suite.model import NotifySettings, SnsSettings, WebhookSettings

TIMEOUT_S = 10.0


class NotifyError(Exception):
    """A notification could not be delivered (reported as a warning, never a verdict)."""


def send_webhook(hook: WebhookSettings, subject: str, text: str, env: Mapping[str, str]) -> str:
    url = hook.url or env.get(hook.url_env or "")
    if not url:
        raise NotifyError(f"webhook: ${hook.url_env} is not set")
    body = json.dumps({"text": f"*{subject}*\n```\n{text}\n```"}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status = response.status
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise NotifyError(f"webhook: {err}") from err
    return f"webhook: HTTP {status}"


def send_sns(sns: SnsSettings, subject: str, text: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from cdevops_chaos.aws.clients import ClientFactory, Target
    from cdevops_chaos.errors import CdevopsError

    region = sns.topic_arn.split(":")[3]
    try:
        clients = ClientFactory(Target.parse(sns.target, region=region, profile=sns.profile))
        reply = clients.client("sns").publish(
            TopicArn=sns.topic_arn, Subject=subject[:100], Message=text
        )
    except (ClientError, BotoCoreError, CdevopsError) as err:
        raise NotifyError(f"sns: {err}") from err
    return f"sns: message {reply.get('MessageId')}"


def notify(
    settings: NotifySettings,
    subject: str,
    text: str,
    *,
    passed: bool,
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Send to every configured channel; (what was sent, warnings). Never raises."""
    if settings.when == "failure" and passed:
        return [], []
    sent: list[str] = []
    warnings: list[str] = []
    environ = os.environ if env is None else env
    if settings.webhook is not None:
        try:
            sent.append(send_webhook(settings.webhook, subject, text, environ))
        except NotifyError as err:
            warnings.append(f"notification not sent: {err}")
    if settings.sns is not None:
        try:
            sent.append(send_sns(settings.sns, subject, text))
        except NotifyError as err:
            warnings.append(f"notification not sent: {err}")
    return sent, warnings
