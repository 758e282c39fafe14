"""The verdict of a run and its exit code: one table, used by the CLI, JUnit and the history.

A suite exits with the worst verdict of its experiments; "worst" is the order of SEVERITY below,
which is not the numeric order of the exit codes (a revert that failed outranks everything).
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    PASSED = "passed"
    BREACHED = "breached"
    INVALID = "invalid"
    NOT_STEADY = "not-steady"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    REVERT_FAILED = "revert-failed"
    INCONCLUSIVE = "inconclusive"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]

    @property
    def meaning(self) -> str:
        return MEANINGS[self]


EXIT_CODES: dict[Verdict, int] = {
    Verdict.PASSED: 0,
    Verdict.BREACHED: 1,
    Verdict.INVALID: 2,
    Verdict.NOT_STEADY: 3,
    Verdict.ERROR: 4,
    Verdict.INTERRUPTED: 5,
    Verdict.REVERT_FAILED: 6,
    Verdict.INCONCLUSIVE: 7,
}

MEANINGS: dict[Verdict, str] = {
    Verdict.PASSED: "steady before, recovered within RTO, data loss within RPO, steady after",
    Verdict.BREACHED: "RTO or RPO objective missed, or never recovered",
    Verdict.INVALID: "bad input or refused by a guard before anything started",
    Verdict.NOT_STEADY: "the hypothesis failed before injection: nothing was injected",
    Verdict.ERROR: "the run could not be carried out (injection failed, AWS error, permissions)",
    Verdict.INTERRUPTED: "stopped by a person, a signal or a stop condition; faults reverted",
    Verdict.REVERT_FAILED: "a fault may still be active: revert it by hand",
    Verdict.INCONCLUSIVE: "ran, but could not observe: the fault's targets were empty, no probe "
    "saw data after injection, or placeholders remained",
}

SEVERITY: tuple[Verdict, ...] = (
    Verdict.PASSED,
    Verdict.BREACHED,
    Verdict.INCONCLUSIVE,
    Verdict.NOT_STEADY,
    Verdict.INTERRUPTED,
    Verdict.ERROR,
    Verdict.INVALID,
    Verdict.REVERT_FAILED,
)


def worst(verdicts: list[Verdict]) -> Verdict:
    """The most severe verdict of a suite (PASSED for an empty one)."""
    return max(verdicts, key=SEVERITY.index, default=Verdict.PASSED)
