"""EC2's error shapes as the lab gateway returns them: codes, HTTP statuses and the XML body.

Only the codes and statuses are meant to match AWS (botocore's EC2 parser reads the code from the
query-protocol XML body); the messages are the lab's own. Part of a simulation of a region.
"""

from __future__ import annotations

import uuid

# EC2's codes and HTTP statuses for the three FIS API-fault kinds.
API_FAULT_ERRORS = {
    "throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "internal": (500, "InternalError", "An internal error has occurred."),
    "unavailable": (503, "Unavailable", "The server is overloaded and cannot handle the request."),
}
ICE_CODE = "InsufficientInstanceCapacity"


def ec2_error(code: str, message: str) -> bytes:
    """An EC2 (query protocol) XML error body, as botocore's EC2 parser expects it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        f"</Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()
