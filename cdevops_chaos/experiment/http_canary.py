"""The ``canary: {type: http}`` block of our extension: URLs, methods, body template, headers
and authentication, checked and typed (``model.HttpCanary``).

Header values and credentials are references (``model.ValueRef``): literal text, ``{env:
NAME}`` or ``{secret: scope.key}`` naming a secret of the experiment's own ``secrets`` block
(Chaos Toolkit's). Credentials (a bearer token, a basic password) must be references: a
literal one would sit in the experiment file, the journal's copy of it and every report's
source. Nothing is resolved here; ``canary.credentials`` does that at run time.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.checks import Checks
from cdevops_chaos.experiment.source import join

KEYS = ("type", "write", "read", "interval", "timeout", "headers", "auth")
_WRITE_METHODS = ("POST", "PUT", "PATCH")
_READ_METHODS = ("GET", "HEAD")
_AUTH_TYPES = ("bearer", "basic")
# RFC 9110 token characters: what a header name may be made of
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BODY_FIELDS = ("{id}", "{seq}", "{sent_at}", "{run_id}")


def parse_http_canary(
    path: str, raw: dict[str, Any], interval: float, timeout: float, checks: Checks
) -> model.HttpCanary | None:
    checks.mapping(path, raw, KEYS, required=("write", "read"), what="an http canary")
    write_url = read_url = body = None
    method, read_method = "POST", "GET"
    if "write" in raw:
        wpath = join(path, "write")
        write = checks.mapping(
            wpath, raw["write"], ("url", "method", "body"), ("url",), what="write"
        )
        if write is not None:
            write_url = (
                _url(join(wpath, "url"), write.get("url"), checks) if "url" in write else None
            )
            if "method" in write:
                chosen = checks.choice(join(wpath, "method"), write["method"], _WRITE_METHODS)
                method = chosen or method
            if "body" in write:
                body = _body(join(wpath, "body"), write["body"], checks)
    if "read" in raw:
        rpath = join(path, "read")
        read = checks.mapping(rpath, raw["read"], ("url", "method"), ("url",), what="read")
        if read is not None and "url" in read:
            read_url = _url(join(rpath, "url"), read.get("url"), checks)
            if read_url is not None and "{id}" not in read_url:
                checks.add(
                    join(rpath, "url"),
                    "the read url has no {id} placeholder, so records cannot be read back",
                    "e.g. http://127.0.0.1:8080/orders/{id}",
                )
                read_url = None
        if read is not None and "method" in read:
            read_method = (
                checks.choice(join(rpath, "method"), read["method"], _READ_METHODS) or "GET"
            )
    headers = (
        _headers(join(path, "headers"), raw.get("headers"), checks) if "headers" in raw else ()
    )
    auth = _auth(join(path, "auth"), raw.get("auth"), checks) if "auth" in raw else None
    if write_url is None or read_url is None:
        return None
    return model.HttpCanary(
        write_url=write_url,
        read_url=read_url,
        write_method=method,
        interval=interval,
        timeout=timeout,
        read_method=read_method,
        body=body,
        headers=headers,
        auth=auth,
    )


def _url(path: str, value: Any, checks: Checks) -> str | None:
    text = checks.string(path, value, "http://127.0.0.1:8080/orders")
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        checks.add(path, f"{text!r} is not an http(s) URL", "e.g. http://127.0.0.1:8080/orders")
        return None
    return text


def _body(path: str, value: Any, checks: Checks) -> str | None:
    text = checks.string(path, value, '{"id": "{id}", "seq": {seq}}')
    if text is not None and "{id}" not in text:
        checks.add(
            path,
            "the body template has no {id}, so the record the read url asks for is never written",
            "fields filled in: " + ", ".join(_BODY_FIELDS),
        )
        return None
    return text


def _headers(path: str, value: Any, checks: Checks) -> tuple[tuple[str, model.ValueRef], ...]:
    if not isinstance(value, dict):
        checks.add(path, "headers must be a mapping of header name to value", "X-Api-Key: {env: K}")
        return ()
    out: list[tuple[str, model.ValueRef]] = []
    for name, raw in value.items():
        hpath = join(path, name)
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            checks.add(hpath, f"{name!r} is not a valid header name", "letters, digits and -")
            continue
        if name.lower() == "authorization":
            checks.add(
                hpath,
                "set Authorization through `auth` (bearer or basic), not as a header",
                "auth: {type: bearer, token: {env: SHOP_TOKEN}}",
            )
            continue
        ref = _ref(hpath, raw, checks, secret_only=False)
        if ref is not None:
            out.append((name, ref))
    return tuple(out)


def _auth(path: str, value: Any, checks: Checks) -> model.HttpAuth | None:
    raw = checks.mapping(path, value, ("type", "token", "username", "password"), ("type",), "auth")
    if raw is None or "type" not in raw:
        return None
    kind = checks.choice(join(path, "type"), raw["type"], _AUTH_TYPES)
    if kind == "bearer":
        if "token" not in raw:
            checks.add(join(path, "token"), "a bearer auth needs a token", "token: {env: TOKEN}")
            return None
        token = _ref(join(path, "token"), raw["token"], checks, secret_only=True)
        return model.HttpAuth(type="bearer", token=token) if token is not None else None
    if kind == "basic":
        for key in ("username", "password"):
            if key not in raw:
                checks.add(join(path, key), f"a basic auth needs a {key}", f"{key}: {{env: X}}")
        if "username" not in raw or "password" not in raw:
            return None
        user = _ref(join(path, "username"), raw["username"], checks, secret_only=False)
        password = _ref(join(path, "password"), raw["password"], checks, secret_only=True)
        if user is None or password is None:
            return None
        return model.HttpAuth(type="basic", username=user, password=password)
    return None


def _ref(path: str, value: Any, checks: Checks, *, secret_only: bool) -> model.ValueRef | None:
    """A literal string (unless ``secret_only``), ``{env: NAME}`` or ``{secret: scope.key}``."""
    if isinstance(value, str) and not secret_only:
        return model.ValueRef(literal=value)
    if isinstance(value, dict) and len(value) == 1:
        ((kind, name),) = value.items()
        if kind == "env" and isinstance(name, str) and _ENV_NAME.match(name):
            return model.ValueRef(env=name)
        if kind == "secret" and isinstance(name, str):
            if _secret_declared(checks, name):
                return model.ValueRef(secret=name)
            checks.add(
                path,
                f"secret {name!r} is not declared in the experiment's `secrets`",
                "declare it, e.g. secrets: {shop: {token: {type: env, key: SHOP_TOKEN}}}, "
                "and refer to it as {secret: shop.token}",
            )
            return None
    checks.add(
        path,
        ("a credential must come from {env: NAME} or {secret: scope.key}, never the file itself")
        if secret_only
        else "a header value is text, {env: NAME} or {secret: scope.key}",
        "e.g. {env: SHOP_TOKEN}",
    )
    return None


def _secret_declared(checks: Checks, name: str) -> bool:
    scope, _, key = name.partition(".")
    secrets = checks.located.data.get("secrets") if isinstance(checks.located.data, dict) else None
    found = secrets.get(scope) if isinstance(secrets, dict) else None
    return bool(key) and isinstance(found, dict) and key in found
