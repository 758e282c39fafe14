"""Errors of the lab's simulated FIS API, shaped like AWS FIS's REST-JSON errors.

Each carries the error code and HTTP status of the shape in botocore's FIS service model, so a
boto3 client sees the same ``ClientError`` code it would get from AWS. Only the codes are meant
to match AWS; the messages are the lab's own. This is part of a simulation of a region.
"""

from __future__ import annotations


class FisError(Exception):
    """An error the FIS API returns to its caller."""

    code = "InternalServerException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_wire(self) -> tuple[int, dict[str, str]]:
        return self.status, {"message": self.message}


class ValidationException(FisError):
    code = "ValidationException"
    status = 400


class ResourceNotFoundException(FisError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(FisError):
    code = "ConflictException"
    status = 409
