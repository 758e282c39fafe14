"""Who signed a request, as the lab gateway sees it: SigV4 scopes and access key → role ARN.

AWS knows which IAM role a set of temporary credentials belongs to; moto does not tell, and the
lab needs it to inject API faults "for requests signed by the targeted role" as FIS does. The
gateway therefore reads the credential scope of every request's SigV4 signature (access key id,
date, region, service), and watches STS ``AssumeRole`` responses that pass through it: the
response names the assumed-role ARN and the new access key id, which is all the mapping needs.
Credentials obtained any other way (long-term keys, AssumeRole straight against moto) map to no
role. This is part of a simulation of a region; nothing is verified cryptographically (moto does
not verify signatures either).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.etree import ElementTree

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_ASSUMED = re.compile(r"^arn:(aws[\w-]*):sts::(\d+):assumed-role/([^/]+)/.+$")


@dataclass(frozen=True)
class SigV4Scope:
    access_key_id: str
    date: str
    region: str
    service: str


def parse_scope(authorization: str | None, query: str = "") -> SigV4Scope | None:
    """The credential scope of a SigV4 ``Authorization`` header (or presigned query)."""
    text = authorization or ""
    m = _CREDENTIAL.search(text)
    if m is None and "X-Amz-Credential" in query:
        cred = parse_qs(query).get("X-Amz-Credential", [""])[0]
        m = _CREDENTIAL.search(f"Credential={cred}")
    if m is None:
        return None
    return SigV4Scope(*m.groups())


def role_arn_of(assumed_role_arn: str) -> str | None:
    """``arn:aws:sts::ACCT:assumed-role/NAME/SESSION`` → ``arn:aws:iam::ACCT:role/NAME``."""
    m = _ASSUMED.match(assumed_role_arn)
    if m is None:
        return None
    partition, account, name = m.groups()
    return f"arn:{partition}:iam::{account}:role/{name}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class IdentityMap:
    """Thread-safe access key id → IAM role ARN, learnt from AssumeRole responses."""

    def __init__(self, limit: int = 10_000) -> None:
        self._roles: dict[str, str] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def observe_assume_role(self, xml_body: bytes) -> str | None:
        """Learn from one AssumeRole response body; the access key id learnt, if any."""
        try:
            root = ElementTree.fromstring(xml_body)
        except ElementTree.ParseError:
            return None
        key = assumed = None
        for el in root.iter():
            name = _local(el.tag)
            if name == "AccessKeyId" and el.text:
                key = el.text.strip()
            elif name == "Arn" and el.text and ":assumed-role/" in el.text:
                assumed = el.text.strip()
        role = role_arn_of(assumed) if assumed else None
        if key is None or role is None:
            return None
        with self._lock:
            if len(self._roles) >= self._limit:
                # Oldest first: dicts keep insertion order, and old sessions have expired anyway.
                del self._roles[next(iter(self._roles))]
            self._roles[key] = role
        return key

    def role_for(self, access_key_id: str) -> str | None:
        with self._lock:
            return self._roles.get(access_key_id)

    def remember(self, access_key_id: str, role_arn: str) -> None:
        """Map a key to a role directly (for lab parts that mint their own credentials)."""
        with self._lock:
            self._roles[access_key_id] = role_arn
