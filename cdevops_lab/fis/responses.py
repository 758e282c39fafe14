"""HTTP adapter of the lab's simulated FIS: REST-JSON routes → ``FisEngine`` calls → JSON.

Paths, methods, body members and error shapes follow botocore's FIS service model
(``fis/2020-12-01``), so an unmodified boto3 ``fis`` client works against the lab gateway. The
adapter is thin on purpose: it parses the route and the body, calls the engine, and shapes the
answer; every decision lives in the engine. Errors carry the code in ``x-amzn-ErrorType`` and
the body, as AWS's REST-JSON services do. This is a simulation of FIS inside the lab.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote

from cdevops_lab.fis.actions import SPECS, ActionSpec
from cdevops_lab.fis.engine import FisEngine
from cdevops_lab.fis.exceptions import (
    FisError,
    ResourceNotFoundException,
    ValidationException,
)

Reply = tuple[int, dict[str, str], bytes]

_TEMPLATE = re.compile(r"^/experimentTemplates/([^/]+)$")
_EXPERIMENT = re.compile(r"^/experiments/([^/]+)$")
_RESOLVED = re.compile(r"^/experiments/([^/]+)/resolvedTargets$")
_TAGS = re.compile(r"^/tags/([^/]+)$")
_ACTION = re.compile(r"^/actions/([^/]+)$")


def _action_wire(spec: ActionSpec, region: str, detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": spec.action_id,
        "arn": f"arn:aws:fis:{region}::action/{spec.action_id}",
        "description": spec.description,
        "targets": {key: {"resourceType": sorted(types)[0]} for key, types in spec.targets.items()},
        "tags": {},
    }
    if detail:
        out["parameters"] = {
            name: {"description": name, "required": name in spec.required}
            for name in sorted(spec.required | spec.optional)
        }
    return out


def _json(status: int, payload: dict[str, Any]) -> Reply:
    body = json.dumps(payload).encode()
    return status, {"Content-Type": "application/json"}, body


def _error(err: FisError) -> Reply:
    status, payload = err.to_wire()
    body = json.dumps(payload).encode()
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": err.code}, body


def _page(items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], str | None]:
    """One page of ``items`` for maxResults/nextToken (the token is an opaque offset)."""
    try:
        start = int(query.get("nextToken", ["0"])[0])
        size = int(query.get("maxResults", ["100"])[0])
    except ValueError as err:
        raise ValidationException("nextToken or maxResults is not valid") from err
    if start < 0 or not 1 <= size <= 100:
        raise ValidationException("nextToken or maxResults is out of range")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


class FisResponses:
    """Dispatch one FIS HTTP request (path already split from its query)."""

    def __init__(self, engine: FisEngine) -> None:
        self.engine = engine

    def dispatch(self, method: str, path: str, query: str, body: bytes, region: str) -> Reply:
        try:
            return self._route(method, path, parse_qs(query), self._body(body), region)
        except FisError as err:
            return _error(err)

    @staticmethod
    def _body(raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValidationException("request body is not JSON") from err
        if not isinstance(doc, dict):
            raise ValidationException("request body must be a JSON object")
        return doc

    def _route(
        self, method: str, path: str, q: dict[str, list[str]], body: dict[str, Any], region: str
    ) -> Reply:
        e = self.engine
        path = path.rstrip("/") or "/"
        if path == "/experimentTemplates":
            if method == "POST":
                return _json(200, {"experimentTemplate": e.wire(e.create_template(body, region))})
            if method == "GET":
                page, token = _page(e.list_templates(), q)
                out: dict[str, Any] = {"experimentTemplates": [e.summary(t) for t in page]}
                return _json(200, out | ({"nextToken": token} if token else {}))
        if m := _TEMPLATE.match(path):
            tid = unquote(m.group(1))
            if method == "GET":
                return _json(200, {"experimentTemplate": e.wire(e.get_template(tid))})
            if method == "PATCH":
                return _json(200, {"experimentTemplate": e.wire(e.update_template(tid, body))})
            if method == "DELETE":
                return _json(200, {"experimentTemplate": e.wire(e.delete_template(tid))})
        if path == "/experiments":
            if method == "POST":
                return _json(200, {"experiment": e.wire(e.start_experiment(body, region))})
            if method == "GET":
                template_id = q.get("experimentTemplateId", [None])[0]
                page, token = _page(e.list_experiments(template_id), q)
                out = {"experiments": [e.summary(x) for x in page]}
                return _json(200, out | ({"nextToken": token} if token else {}))
        if m := _EXPERIMENT.match(path):
            eid = unquote(m.group(1))
            if method == "GET":
                return _json(200, {"experiment": e.wire(e.get_experiment(eid))})
            if method == "DELETE":
                return _json(200, {"experiment": e.wire(e.stop_experiment(eid))})
        if path == "/actions" and method == "GET":
            specs = [SPECS[k] for k in sorted(SPECS)]
            page, token = _page(specs, q)
            actions = [_action_wire(a, region, detail=False) for a in page]
            return _json(200, {"actions": actions} | ({"nextToken": token} if token else {}))
        if (m := _ACTION.match(path)) and method == "GET":
            action_id = unquote(m.group(1))
            if action_id not in SPECS:
                raise ResourceNotFoundException(f"action {action_id} is not one the lab simulates")
            return _json(200, {"action": _action_wire(SPECS[action_id], region, detail=True)})
        if (m := _RESOLVED.match(path)) and method == "GET":
            targets = e.resolved_targets(unquote(m.group(1)), q.get("targetName", [None])[0])
            page, token = _page(targets, q)
            return _json(200, {"resolvedTargets": page} | ({"nextToken": token} if token else {}))
        if m := _TAGS.match(path):
            arn = unquote(m.group(1))
            if method == "GET":
                return _json(200, {"tags": e.list_tags(arn)})
            if method == "POST":
                e.tag_resource(arn, {str(k): str(v) for k, v in (body.get("tags") or {}).items()})
                return _json(200, {})
            if method == "DELETE":
                e.untag_resource(arn, q.get("tagKeys", []))
                return _json(200, {})
        raise ValidationException(f"{method} {path} is not an operation the lab's FIS simulates")
