"""The HTTP canary's request headers, resolved from their references at run time.

A header value or credential is literal text, an environment variable (``{env: NAME}``) or a
Chaos Toolkit secret (``{secret: scope.key}``, from the experiment's ``secrets`` as chaoslib
loaded them). ``resolve_headers`` turns the spec's references into the headers a request sends,
``Authorization`` included (``Bearer <token>``, or ``Basic`` base64 of ``user:password``). The
values live only in memory and in the writer process's environment (``HEADERS_ENV``): the spec,
the job file, the journal and the report hold the references alone. A reference that resolves
to nothing is a ``CanaryCredentialsMissing`` error before anything is injected.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

from cdevops_chaos.errors import CanaryError
from cdevops_chaos.experiment.model import HttpCanary, ValueRef

# the resolved headers, as JSON, in the writer process's environment (never in a file)
HEADERS_ENV = "CDEVOPS_CANARY_HEADERS"


class CanaryCredentialsMissing(CanaryError):
    """A canary header or credential references an unset variable or a missing secret."""


def _value(ref: ValueRef, what: str, secrets: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    if ref.literal is not None:
        return ref.literal
    if ref.env is not None:
        value = environ.get(ref.env)
        if value is None:
            raise CanaryCredentialsMissing(
                f"the canary's {what} comes from environment variable {ref.env}, which is not set",
                hint=f"export {ref.env} before the run",
            )
        return value
    if ref.secret is not None:
        scope, _, key = ref.secret.partition(".")
        found = secrets.get(scope)
        value = found.get(key) if isinstance(found, Mapping) else None
        if value is None:
            raise CanaryCredentialsMissing(
                f"the canary's {what} comes from secret {ref.secret}, which has no value",
                hint="check the experiment's `secrets` block and what it reads (env, vault)",
            )
        return str(value)
    raise CanaryCredentialsMissing(f"the canary's {what} has no value")


def resolve_headers(
    spec: HttpCanary,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers every canary request sends (Content-Type is the writer's own default)."""
    env = os.environ if environ is None else environ
    loaded = secrets or {}
    headers = {name: _value(ref, f"header {name}", loaded, env) for name, ref in spec.headers}
    auth = spec.auth
    if auth is not None and auth.type == "bearer" and auth.token is not None:
        headers["Authorization"] = "Bearer " + _value(auth.token, "bearer token", loaded, env)
    elif auth is not None and auth.type == "basic":
        user = _value(auth.username or ValueRef(literal=""), "username", loaded, env)
        password = _value(auth.password or ValueRef(literal=""), "password", loaded, env)
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {pair}"
    return headers


def headers_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The writer process's side of ``HEADERS_ENV``."""
    raw = (os.environ if environ is None else environ).get(HEADERS_ENV)
    if not raw:
        return {}
    loaded = json.loads(raw)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
