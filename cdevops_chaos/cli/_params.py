"""Command-line values coerced without pydantic for the plain types our commands declare.

typer (0.2x) coerces every parameter through a pydantic ``TypeAdapter``: importing pydantic and
building the adapters cost ~60-100 ms of CPU on every command, a fifth of ``validate``'s
(issue 12). Our options are ``str``, ``Path``, ``StrEnum`` choices and lists of those; for
exactly these, ``install`` gives typer a coercion with the same results and the same error
messages (typer's own ``coerce_cli_path`` / ``coerce_cli_choice`` do the checking). Anything
else (numbers with bounds, bools given a value, custom parsers) still goes through typer's
pydantic path. If typer's internals move, ``install`` leaves typer as it is: slower, never
different. Not here: the options themselves (``_options``) and the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin


def _leaf_supported(annotation: Any) -> bool:
    return annotation in (str, Path, bool) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    )


def install() -> None:
    """Route the plain parameters of every typer command through the light coercion."""
    try:
        import typer.core
        from typer._click.exceptions import BadParameter
        from typer._click.utils import _escape_control_characters
        from typer._coercion import RuntimeParam, TypeDescriptor
        from typer._param_types import coerce_cli_choice, coerce_cli_path
    except ImportError:  # another typer: keep its own coercion
        return
    found = getattr(typer.core, "build_runtime_param", None)
    if found is None or getattr(found, "_cdevops_light", False):
        return
    typer_build: Any = found

    def one(annotation: Any, value: Any, info: Any, param: Any, ctx: Any) -> Any:
        if annotation is str:
            return value if isinstance(value, str) else str(value)
        if annotation is Path:
            return coerce_cli_path(
                value if isinstance(value, Path) else Path(value),
                info,
                path_type=Path,
                param=param,
                ctx=ctx,
            )
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError as err:
            # the wording typer gives through pydantic: "Value error, 'x' is not one of ..."
            message = _escape_control_characters(f"Value error, {err}")
            raise BadParameter(message, ctx=ctx, param=param) from None

    class LightParam(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation: Any = self.annotation
            if annotation is bool:
                if isinstance(value, bool):
                    return value
                # "yes", "0", ...: typer's own (pydantic) reading, built only when needed
                descriptor = TypeDescriptor(
                    annotation=bool, parameter_info=self.parameter_info, file_annotation=None
                )
                return typer_build(descriptor)._coerce_value(value, param, ctx)
            if get_origin(annotation) is list:
                (item,) = get_args(annotation)
                values = value if isinstance(value, list | tuple) else [value]
                return [one(item, v, self.parameter_info, param, ctx) for v in values]
            return one(annotation, value, self.parameter_info, param, ctx)

    def supported(descriptor: TypeDescriptor) -> bool:
        annotation: Any = descriptor.annotation
        if descriptor.file_annotation is not None or descriptor.parameter_info.parser is not None:
            return False
        if get_origin(annotation) is list:
            args = get_args(annotation)
            return len(args) == 1 and args[0] is not bool and _leaf_supported(args[0])
        return _leaf_supported(annotation)

    def build(descriptor: TypeDescriptor) -> Any:
        if supported(descriptor):
            return LightParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
        return typer_build(descriptor)

    build._cdevops_light = True  # type: ignore[attr-defined]
    typer.core.build_runtime_param = build  # type: ignore[attr-defined]
