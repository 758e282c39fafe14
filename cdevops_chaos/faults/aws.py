"""What every fault shares about AWS: the tags we put on what we create, and AWS error codes.

Everything a fault creates carries ``cdevops:run-id`` (whose run), ``cdevops:experiment``,
``cdevops:scenario`` and ``cdevops:expires-at`` (the run's planned end), so ``cleanup`` can find
and judge it from any process, journal or not. botocore is imported lazily (the CLI path stays
light) and its errors keep their AWS code (``error_code``) rather than being flattened to text.
"""

from __future__ import annotations

RUN_ID_TAG = "cdevops:run-id"
EXPERIMENT_TAG = "cdevops:experiment"
SCENARIO_TAG = "cdevops:scenario"
EXPIRES_TAG = "cdevops:expires-at"
MANAGED_BY_TAG = "cdevops:managed-by"


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)
