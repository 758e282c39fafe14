"""The one error tree of the project.

Every error the user can act on is a ``CdevopsError`` carrying a ``hint`` (what to do) and the
verdict it maps to; only the CLI turns them into messages and exit codes. Layers raise their own
subclass and chain the cause (``raise X(...) from err``) so botocore error codes survive.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdevops_chaos.verdicts import Verdict


class CdevopsError(Exception):
    """Base of every error the CLI knows how to explain."""

    verdict: Verdict = Verdict.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    ``path`` is the path inside the document (``method[0].provider.arguments.scenario``), empty
    for problems about the file as a whole; ``line``/``column`` are 1-based where known.
    """

    file: str
    path: str
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.path + ': ' if self.path else ''}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class ExperimentInvalid(CdevopsError):
    """An experiment (or suite, or scenario) file failed validation; nothing was started."""

    verdict = Verdict.INVALID

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems) or "invalid input")


class UsageError(CdevopsError):
    """Bad command-line input (unknown target, conflicting options)."""

    verdict = Verdict.INVALID


class GuardRefused(CdevopsError):
    """A safety guard refused the run before any mutating call."""

    verdict = Verdict.INVALID


class TargetError(CdevopsError):
    """The target (account, endpoint, credentials) could not be reached or used."""

    verdict = Verdict.ERROR


class ProbeError(CdevopsError):
    """A steady-state probe could not be evaluated (as opposed to evaluating as unhealthy)."""

    verdict = Verdict.ERROR


class FaultError(CdevopsError):
    """A fault could not be injected, or its effect could not be confirmed."""

    verdict = Verdict.ERROR


class Inconclusive(CdevopsError):
    """The run cannot produce evidence either way (a fault whose targets resolve to nothing).

    Raised before anything is injected; the verdict says "we could not tell", never "passed".
    """

    verdict = Verdict.INCONCLUSIVE


class CanaryError(CdevopsError):
    """The RPO canary's writer process could not be started: nothing was injected yet."""

    verdict = Verdict.ERROR


class RevertFailed(CdevopsError):
    """A fault may still be active. The message says what to do by hand."""

    verdict = Verdict.REVERT_FAILED


class Interrupted(CdevopsError):
    """A person, a signal or a stop condition stopped the run."""

    verdict = Verdict.INTERRUPTED
