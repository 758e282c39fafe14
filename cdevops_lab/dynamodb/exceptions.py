"""DynamoDB's throttling error as the lab gateway returns it (JSON 1.0 protocol, HTTP 400).

Only the ``__type`` (the error code botocore reads) is meant to match AWS; the message is close to
DynamoDB's own. Part of a simulation of a region.
"""

from __future__ import annotations

import json

THROTTLE_CODE = "ProvisionedThroughputExceededException"
THROTTLE_TYPE = f"com.amazonaws.dynamodb.v20120810#{THROTTLE_CODE}"


def throttle_body(table: str) -> bytes:
    return json.dumps(
        {
            "__type": THROTTLE_TYPE,
            "message": (
                "The level of configured provisioned throughput for the table "
                f"{table} was exceeded. Consider increasing your provisioning level with "
                "the UpdateTable API."
            ),
        }
    ).encode()
