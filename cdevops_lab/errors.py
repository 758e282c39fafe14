"""The lab's own errors: what went wrong starting, reaching or stopping the lab, or in its config.

The lab is a separate subsystem from the product and shares no code with it, so it has its own
small error tree. Each error carries a ``hint`` (what the user can do) and the exit code the
lab's command line (``python -m cdevops_lab``) ends with: a lab that cannot be started or reached
is an error (exit 4, as the product's ``error`` verdict), a bad config file is bad input (exit 2,
nothing started). Messages about a config file name the file and the knob (the path inside it),
with the line where YAML tells it. Errors of the simulated AWS services (FIS's
``ValidationException``…) live in each service's ``exceptions.py`` and travel over HTTP instead.
"""

from __future__ import annotations

EXIT_ERROR = 4  # the product's `error` verdict: the lab could not be started, reached or stopped
EXIT_INVALID = 2  # the product's `invalid` verdict: bad input, nothing was started


class LabError(Exception):
    """The lab could not be started, reached or stopped."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigInvalid(LabError):
    """The lab's config file is missing or does not validate: bad input, nothing started.

    A ``LabError`` so callers catching lab failures still see it, but it exits 2, not 4: the
    user fixes the file, not the machine.
    """

    exit_code = EXIT_INVALID

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        problems: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems or [])  # (knob, what is wrong), for locating them


class LabNotInstalled(LabError):
    """The lab's extra (moto server, and waitress to serve it) is not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"the lab needs its extra (moto server, waitress), which is not installed "
            f"(missing module {missing})",
            hint="install cdevops-chaos[lab], e.g. pip install 'cdevops-chaos[lab]'",
        )
