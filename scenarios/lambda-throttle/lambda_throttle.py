"""The ``lambda-throttle`` scenario: a Lambda function's reserved concurrency capped low.

``PutFunctionConcurrency`` sets the function's reserved concurrency to ``reserved_concurrency``
(0 throttles every invocation). The revert handle, written before anything changes, holds the
previous reservation (a number, or none); the function's own tags hold the same
(``cdevops:original``), so ``cleanup`` restores it even without the journal. Revert puts the
previous value back, or deletes the reservation when there was none.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import FaultError, Inconclusive, RevertFailed
from cdevops_chaos.faults.aws import (
    aws_errors,
    error_code,
    original_tags,
    our_tag_keys,
    tagged_by_handle_run,
)
from cdevops_chaos.faults.base import Activation, BlastRadiusItem, FaultPlan, RevertHandle
from cdevops_chaos.faults.timed import TimedFault

KIND = "lambda-concurrency"


def reserved_of(lam: Any, function: str) -> int | None:
    """The function's reserved concurrency, None when it has no reservation."""
    value = lam.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def _render(reserved: int | None) -> str:
    return "no reserved concurrency" if reserved is None else f"reserved concurrency {reserved}"


def _words(reserved: int | None) -> list[str]:
    return [f"reserved={'none' if reserved is None else reserved}"]


def _from_words(words: list[str]) -> int | None:
    value = dict(w.split("=", 1) for w in words)["reserved"]
    return None if value == "none" else int(value)


def manual_command(function: str, region: str, previous: int | None) -> str:
    base = f"aws lambda --region {region}"
    if previous is None:
        return f"{base} delete-function-concurrency --function-name {function}"
    return (
        f"{base} put-function-concurrency --function-name {function} "
        f"--reserved-concurrent-executions {previous}"
    )


class LambdaThrottle(TimedFault):
    scenario_id = "lambda-throttle"
    kind: ClassVar[str] = KIND

    @property
    def function(self) -> str:
        return str(self.parameters["function"])

    @property
    def limit(self) -> int:
        return int(self.parameters.get("reserved_concurrency") or 0)

    def _resolve(self) -> tuple[str, int | None]:
        """(function ARN, its reserved concurrency now); refuses a cap that throttles nothing."""
        lam = self.clients.client("lambda")
        try:
            arn = str(lam.get_function(FunctionName=self.function)["Configuration"]["FunctionArn"])
            previous = reserved_of(lam, self.function)
        except aws_errors() as err:
            if error_code(err) == "ResourceNotFoundException":
                raise Inconclusive(
                    f"no Lambda function {self.function} in {self.clients.region}",
                    hint="check parameters.function and the region; nothing was started",
                ) from err
            raise FaultError(
                f"cannot read function {self.function}: {err}",
                hint="the caller needs lambda:GetFunction and lambda:GetFunctionConcurrency",
            ) from err
        if previous is not None and previous <= self.limit:
            raise Inconclusive(
                f"function {self.function} already has {_render(previous)}, at or below "
                f"{self.limit}: nothing would be throttled",
                hint="ask for a lower reserved_concurrency; nothing was started",
            )
        return arn, previous

    def plan(self) -> FaultPlan:
        arn, previous = self._resolve()
        notes = ["dry run: the function is only read"] if self.ctx.dry_run else []
        return FaultPlan(
            description=(
                f"Sets Lambda function {self.function} from {_render(previous)} to reserved "
                f"concurrency {self.limit} for {format_duration(self.duration_s)}, then back."
            ),
            blast_radius=(BlastRadiusItem("aws:lambda:function", arn, f"{_render(previous)} now"),),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )

    def revert_handle(self) -> RevertHandle:
        arn, previous = self._resolve()
        return self.new_handle(
            KIND,
            function=self.function,
            function_arn=arn,
            previous=previous,
            known_previous=True,
            limit=self.limit,
        )

    def inject(self, handle: RevertHandle) -> RevertHandle:
        """Tag the function with the run and its previous reservation, then cap it."""
        if self.ctx.dry_run:
            return handle
        lam = self.clients.client("lambda")
        try:
            lam.tag_resource(
                Resource=handle["function_arn"],
                Tags={**self.tags, **original_tags(_words(handle["previous"]))},
            )
            lam.put_function_concurrency(
                FunctionName=self.function, ReservedConcurrentExecutions=self.limit
            )
            self.mark_began(handle)
        except aws_errors() as err:
            undone = self.revert(handle, self.clients)
            raise FaultError(
                f"could not throttle {self.function}: {error_code(err) or type(err).__name__}: "
                f"{err} (undone: {undone})",
                hint="the caller needs lambda:TagResource and lambda:PutFunctionConcurrency",
            ) from err
        return handle

    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation:
        lam = self.clients.client("lambda")
        return self.wait_confirmed(
            handle,
            timeout_s,
            lambda: reserved_of(lam, self.function) == self.limit,
            f"reserved concurrency {self.limit} on {self.function}",
        )

    @classmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        region = str(handle.get("region") or clients.region)
        lam = clients.client("lambda", region=region)
        name = str(handle["function"])
        previous = handle.get("previous")
        by_hand = (
            "run by hand: " + manual_command(name, region, previous)
            if handle.get("known_previous")
            else "set its reserved concurrency by hand"
        )
        try:
            tags = dict(lam.list_tags(Resource=handle["function_arn"]).get("Tags") or {})
            current = reserved_of(lam, name)
        except aws_errors() as err:
            if error_code(err) == "ResourceNotFoundException":
                return f"function {name} is gone: nothing to restore"
            raise RevertFailed(
                f"cannot read function {name} to restore it: {error_code(err)}: {err}",
                hint=by_hand,
            ) from err
        ours = tagged_by_handle_run(tags, handle)
        if not ours and not handle.get("began_at"):
            return f"nothing to revert (function {name} was never changed by this run)"
        if not handle.get("known_previous"):
            raise RevertFailed(
                f"function {name} carries this run's tags but not its previous concurrency",
                hint="set it by hand, then remove its cdevops:* tags",
            )
        try:
            if current != previous:
                if previous is None:
                    lam.delete_function_concurrency(FunctionName=name)
                else:
                    lam.put_function_concurrency(
                        FunctionName=name, ReservedConcurrentExecutions=int(previous)
                    )
            if ours:
                lam.untag_resource(Resource=handle["function_arn"], TagKeys=our_tag_keys(tags))
            now = reserved_of(lam, name)
        except aws_errors() as err:
            raise RevertFailed(
                f"function {name} still has {_render(current)}, not {_render(previous)}: "
                f"{error_code(err)}: {err}",
                hint=by_hand,
            ) from err
        if now != previous:
            raise RevertFailed(
                f"function {name} has {_render(now)} after the revert, not {_render(previous)}",
                hint=by_hand,
            )
        if current == previous:
            return f"nothing to restore (function {name} already has {_render(previous)})"
        return f"restored function {name} to {_render(previous)}"

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Functions our tags mark as throttled by a run, with the reservation they recorded."""
        return cls.tagged_orphans(
            clients,
            KIND,
            "lambda:function",
            lambda arn, words: {
                "function": arn.rsplit(":function:", 1)[-1],
                "function_arn": arn,
                "previous": _from_words(words) if words else None,
                "known_previous": words is not None,
            },
        )
