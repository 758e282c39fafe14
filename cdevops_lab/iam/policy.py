"""IAM identity policies, enforced by the lab gateway for roles that ask for it.

moto does not evaluate IAM. So that a least-privilege policy can be tried locally, the gateway
refuses requests signed by a role tagged ``lab:enforce-iam=true`` whose inline policies allow
no action matching the request's operation (``prefix:Operation``, ``*`` wildcards as IAM has
them), with the error each protocol returns for AccessDenied. This is a simulation and says so:
only Allow statements' ``Action`` lists are read — ``Resource``, ``Condition``, ``Deny``,
managed policies, permission boundaries and ``iam:PassRole`` (no request of its own) are not
evaluated. Roles without the tag, and long-term keys, are never refused. Also here: which
operation a request is (``operation_of``), from the SigV4 scope and the protocol.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session

ENFORCE_TAG = "lab:enforce-iam"
# SigV4 signing name -> (botocore service, IAM action prefix) where they differ from the name.
_SERVICES = {
    "monitoring": ("cloudwatch", "cloudwatch"),
    "tagging": ("resourcegroupstaggingapi", "tag"),
}
_ROLE_NAME = re.compile(r"^arn:[^:]+:iam::\d+:role/(?:.*/)?([^/]+)$")


@cache
def _rest_operations(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    model = botocore.session.get_session().get_service_model(service)
    out = []
    for name in model.operation_names:
        http_ = model.operation_model(name).http
        uri = str(http_.get("requestUri", "/")).split("?", 1)[0]
        pattern = re.sub(r"\{[^}]+\+\}", ".+", uri)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        out.append((str(http_.get("method", "GET")), re.compile(f"^{pattern}/?$"), name))
    # literal paths before templated ones, so /experiments is not taken for /experiments/{id}
    return sorted(out, key=lambda t: t[1].pattern.count("[^/]+") + t[1].pattern.count(".+"))


def operation_of(
    signing_name: str, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """(``prefix:Operation``, protocol) of a signed request; headers with lower-case names.

    Protocols: ``json`` (``X-Amz-Target``), ``cbor`` (RPC v2 path), ``ec2`` / ``query``
    (``Action=``), ``rest`` (method and path matched on botocore's service model).
    """
    service, prefix = _SERVICES.get(signing_name, (signing_name, signing_name))
    target = headers.get("x-amz-target")
    if target:
        return f"{prefix}:{target.rsplit('.', 1)[-1]}", "json"
    parts = urlsplit(raw_path)
    if "/operation/" in parts.path:
        return f"{prefix}:{parts.path.rsplit('/', 1)[-1]}", "cbor"
    form = parse_qs(parts.query)
    if "Action" not in form and body and b"Action=" in body:
        form = parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        return f"{prefix}:{form['Action'][0]}", "ec2" if signing_name == "ec2" else "query"
    for op_method, pattern, name in _rest_operations(service):
        if op_method == method and pattern.match(parts.path):
            return f"{prefix}:{name}", "rest"
    return f"{prefix}:?{method} {parts.path}", "rest"


def allows(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


class PolicyStore:
    """The allowed action patterns of enforced roles, read from moto's IAM, cached briefly so a
    policy put by a test takes effect within ``ttl_s``."""

    def __init__(self, iam: Callable[[], Any], ttl_s: float = 1.0) -> None:
        self._iam = iam
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[float, list[str] | None]] = {}
        self._lock = threading.Lock()

    def patterns(self, role_arn: str) -> list[str] | None:
        """Allowed patterns of an enforced role; None when the role is not enforced."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(role_arn)
            if hit and now - hit[0] < self._ttl_s:
                return hit[1]
        found = self._read(role_arn)
        with self._lock:
            self._cache[role_arn] = (now, found)
        return found

    def _read(self, role_arn: str) -> list[str] | None:
        m = _ROLE_NAME.match(role_arn)
        if m is None:
            return None
        iam, name = self._iam(), m.group(1)
        try:
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
        except Exception:  # the role is gone or unreadable: nothing to enforce
            return None
        if tags.get(ENFORCE_TAG, "").lower() != "true":
            return None
        out: list[str] = []
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            if isinstance(doc, str):
                doc = json.loads(doc)
            statements = doc.get("Statement") or []
            for st in statements if isinstance(statements, list) else [statements]:
                if st.get("Effect") == "Allow":
                    actions = st.get("Action") or []
                    out.extend([actions] if isinstance(actions, str) else actions)
        return out


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def access_denied(protocol: str, action: str, role_arn: str) -> tuple[int, dict[str, str], bytes]:
    """The AccessDenied answer of ``protocol``, as botocore parses it."""
    message = (
        f"User: {role_arn} is not authorized to perform: {action} "
        "(lab: no Allow for it in the role's inline policies)"
    )
    if protocol == "json":
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        return 400, {"Content-Type": "application/x-amz-json-1.0"}, body
    if protocol == "rest":
        body = json.dumps({"message": message}).encode()
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"}
        return 403, headers, body
    if protocol == "cbor":
        body = bytes([0xA2]) + _cbor_text("__type") + _cbor_text("AccessDeniedException")
        body += _cbor_text("message") + _cbor_text(message)
        return 403, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}, body
    if protocol == "ec2":
        xml = (
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>lab</RequestID></Response>"
        )
        return 403, {"Content-Type": "text/xml"}, xml.encode()
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>{message}</Message></Error><RequestId>lab</RequestId></ErrorResponse>"
    )
    return 403, {"Content-Type": "text/xml"}, xml.encode()
