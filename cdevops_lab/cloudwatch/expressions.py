"""CloudWatch metric math for the lab's GetMetricData: parse an expression, evaluate it.

Part of the lab's simulated CloudWatch (moto computes no metric math). An expression is parsed
with Python's ``ast`` after a small translation of CloudWatch's operators (``^`` power, ``&&``
``||`` ``!`` and ``AND`` ``OR`` ``NOT``), and only a whitelist of nodes is accepted: numbers,
query ids, ``[a, b]`` arrays, ``+ - * / ^``, comparisons, logic, and the functions ``SUM``,
``AVG``, ``MIN``, ``MAX``, ``IF``, ``FILL``, ``METRICS`` — nothing is ever ``eval``'d.

Values are a scalar (float), a time series (``{epoch second: value}``) or an array of labelled
time series. As in CloudWatch: arithmetic between two series pairs the datapoints with the same
timestamp (a timestamp missing from either has no result); a scalar applies to every datapoint;
``SUM/AVG/MIN/MAX`` of one series is a scalar over all its values and of an array is a series
per timestamp; ``IF(c, a[, b])`` takes ``a`` where ``c`` is non-zero and ``b`` (or no datapoint)
elsewhere; ``FILL(x, v | REPEAT | LINEAR)`` fills the periods of the requested range that have no
datapoint; ``METRICS()`` is every metric (not expression) of the request, ``METRICS("s")`` those
whose id contains ``s``. A result that is not a finite number (``x / 0``) is no datapoint.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Series = dict[int, float]


@dataclass(frozen=True)
class Labeled:
    label: str
    series: Series


Value = float | Series | list[Labeled]


class ExpressionError(ValueError):
    """An expression CloudWatch would refuse: syntax, unknown id or function, wrong argument."""


FUNCTIONS = frozenset({"SUM", "AVG", "MIN", "MAX", "IF", "FILL", "METRICS"})
_FILL_MODES = frozenset({"REPEAT", "LINEAR"})
_ARITH: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: lambda a, b: a / b if b else math.nan,
    ast.Pow: lambda a, b: _power(a, b),
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_TOKENS = re.compile(r'"[^"]*"|\'[^\']*\'|&&|\|\||!=|!|\^|\b(?:AND|OR|NOT)\b')
_TRANSLATE = {"&&": " and ", "||": " or ", "!": " not ", "^": "**"}
_TRANSLATE.update({"AND": " and ", "OR": " or ", "NOT": " not "})


def _power(a: float, b: float) -> float:
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return math.nan
    return result if isinstance(result, float | int) else math.nan


def parse(text: str) -> ast.Expression:
    """The checked syntax tree of a metric-math expression; ExpressionError when refused."""

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        return token if token[0] in "\"'" or token == "!=" else _TRANSLATE[token]

    try:
        tree = ast.parse(_TOKENS.sub(swap, text).strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"syntax error in {text!r}") from err
    for node in ast.walk(tree):
        _check(node, text)
    return tree


_ALLOWED: tuple[type[ast.AST], ...] = (
    *(ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call),
    *(ast.Name, ast.Constant, ast.List, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd),
    *_ARITH,
    *_COMPARE,
)


def _check(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(f"{text!r} uses {type(node).__name__}, which metric math lacks")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "?"
            raise ExpressionError(f"unsupported function {name} in {text!r}")
        if node.keywords:
            raise ExpressionError(f"{node.func.id} takes no named arguments")
    if isinstance(node, ast.Compare) and len(node.ops) != 1:
        raise ExpressionError(f"chained comparison in {text!r}: compare two values at a time")
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float | str)
    ):
        raise ExpressionError(f"unexpected constant {node.value!r} in {text!r}")


@dataclass
class Context:
    """What an expression can see: the request's results by id, its metric ids, the period grid."""

    lookup: Callable[[str], Value]  # another query's result by id (expressions resolve lazily)
    metric_ids: Sequence[str]  # the request's MetricStat ids, in request order
    labels: Mapping[str, str]
    grid: Sequence[int]  # the period timestamps of the requested range


def evaluate(tree: ast.Expression, ctx: Context) -> Value:
    return _eval(tree.body, ctx)


def _eval(node: ast.expr, ctx: Context) -> Value:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float):  # _check let only numbers and strings in
            raise ExpressionError("a string is only allowed as the argument of METRICS")
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _FILL_MODES:
            raise ExpressionError(f"{node.id} is only allowed as FILL's second argument")
        return ctx.lookup(node.id)
    if isinstance(node, ast.List):
        members: list[Labeled] = []
        for elt in node.elts:
            value = _eval(elt, ctx)
            if isinstance(value, dict):
                label = elt.id if isinstance(elt, ast.Name) else ast.unparse(elt)
                members.append(Labeled(ctx.labels.get(label, label), value))
            elif isinstance(value, list):
                members.extend(value)
            else:
                raise ExpressionError("an array holds time series, not numbers")
        return members
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, ctx)
        if isinstance(node.op, ast.Not):
            return _map1(value, lambda v: 0.0 if v else 1.0)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return _map1(value, lambda v: sign * v)
    if isinstance(node, ast.BinOp):
        fn = _ARITH[type(node.op)]
        return _map2(_eval(node.left, ctx), _eval(node.right, ctx), fn)
    if isinstance(node, ast.Compare):
        cmp = _COMPARE[type(node.ops[0])]
        left, right = _eval(node.left, ctx), _eval(node.comparators[0], ctx)
        return _map2(left, right, lambda a, b: 1.0 if cmp(a, b) else 0.0)
    if isinstance(node, ast.BoolOp):
        is_and = isinstance(node.op, ast.And)
        result = _eval(node.values[0], ctx)
        for other in node.values[1:]:
            both = (
                (lambda a, b: float(bool(a and b)))
                if is_and
                else (lambda a, b: float(bool(a or b)))
            )
            result = _map2(result, _eval(other, ctx), both)
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node.func.id, node.args, ctx)
    raise ExpressionError(f"cannot evaluate {ast.unparse(node)}")


def _finite(series: Series) -> Series:
    return {t: v for t, v in series.items() if math.isfinite(v)}


def _map1(value: Value, fn: Callable[[float], float]) -> Value:
    if isinstance(value, float):
        return fn(value)
    if isinstance(value, dict):
        return _finite({t: fn(v) for t, v in value.items()})
    return [Labeled(m.label, _finite({t: fn(v) for t, v in m.series.items()})) for m in value]


def _map2(a: Value, b: Value, fn: Callable[[float, float], float]) -> Value:
    if isinstance(a, list) and isinstance(b, list):
        raise ExpressionError("an operation between two arrays of time series is not supported")
    if isinstance(a, list):
        return [Labeled(m.label, _as_series(_map2(m.series, b, fn))) for m in a]
    if isinstance(b, list):
        return [Labeled(m.label, _as_series(_map2(a, m.series, fn))) for m in b]
    if isinstance(a, float) and isinstance(b, float):
        return fn(a, b)
    if isinstance(a, float):
        assert isinstance(b, dict)
        return _finite({t: fn(a, v) for t, v in b.items()})
    if isinstance(b, float):
        return _finite({t: fn(v, b) for t, v in a.items()})
    return _finite({t: fn(v, b[t]) for t, v in a.items() if t in b})


def _as_series(value: Value) -> Series:
    if not isinstance(value, dict):
        raise ExpressionError("expected a time series")
    return value


def _call(name: str, args: list[ast.expr], ctx: Context) -> Value:
    if name == "METRICS":
        if len(args) > 1 or (args and not isinstance(args[0], ast.Constant)):
            raise ExpressionError('METRICS takes no argument or one string: METRICS("errors")')
        needle = str(args[0].value) if args and isinstance(args[0], ast.Constant) else ""
        out: list[Labeled] = []
        for qid in ctx.metric_ids:
            if needle in qid:
                out.append(Labeled(ctx.labels.get(qid, qid), _as_series(ctx.lookup(qid))))
        return out
    if name in ("SUM", "AVG", "MIN", "MAX"):
        if len(args) != 1:
            raise ExpressionError(f"{name} takes one argument (a time series or an array)")
        return _aggregate(name, _eval(args[0], ctx))
    if name == "IF":
        if len(args) not in (2, 3):
            raise ExpressionError("IF takes a condition, a value if true and optionally if false")
        cond, yes = _eval(args[0], ctx), _eval(args[1], ctx)
        no = _eval(args[2], ctx) if len(args) == 3 else None
        return _if(cond, yes, no, ctx.grid)
    if name == "FILL":
        if len(args) != 2:
            raise ExpressionError("FILL takes a time series and a value, REPEAT or LINEAR")
        target = _eval(args[0], ctx)
        mode = args[1].id if isinstance(args[1], ast.Name) and args[1].id in _FILL_MODES else None
        fill = None if mode else _eval(args[1], ctx)
        if isinstance(fill, list):
            raise ExpressionError("FILL's value must be a number or a time series")
        if isinstance(target, float):
            raise ExpressionError("FILL's first argument must be a time series or an array")
        if isinstance(target, list):
            return [Labeled(m.label, _fill(m.series, fill, mode, ctx.grid)) for m in target]
        return _fill(target, fill, mode, ctx.grid)
    raise ExpressionError(f"unsupported function {name}")


def _reduce(name: str, values: list[float]) -> float:
    if not values:
        return math.nan
    if name == "SUM":
        return float(sum(values))
    if name == "AVG":
        return float(sum(values)) / len(values)
    return float(min(values) if name == "MIN" else max(values))


def _aggregate(name: str, value: Value) -> Value:
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return _reduce(name, list(value.values()))
    stamps = sorted({t for m in value for t in m.series})
    return _finite(
        {t: _reduce(name, [m.series[t] for m in value if t in m.series]) for t in stamps}
    )


def _at(value: Value | None, t: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, dict):
        return value.get(t)
    raise ExpressionError("IF's values must be numbers or time series, not arrays")


def _if(cond: Value, yes: Value, no: Value | None, grid: Sequence[int]) -> Value:
    if isinstance(cond, list):
        return [Labeled(m.label, _as_series(_if(m.series, yes, no, grid))) for m in cond]
    if isinstance(cond, float) and all(isinstance(v, float | None) for v in (yes, no)):
        picked = yes if cond else no
        return math.nan if picked is None else picked
    stamps: Sequence[int] = list(cond) if isinstance(cond, dict) else grid
    out: Series = {}
    for t in stamps:
        c = _at(cond, t)
        if c is None:
            continue
        v = _at(yes if c else no, t)
        if v is not None and math.isfinite(v):
            out[t] = v
    return out


def _fill(series: Series, fill: Value | None, mode: str | None, grid: Sequence[int]) -> Series:
    out: Series = {}
    known = sorted(series)
    for t in grid:
        if t in series:
            out[t] = series[t]
            continue
        if mode == "REPEAT":
            before = [k for k in known if k < t]
            if before:
                out[t] = series[before[-1]]
        elif mode == "LINEAR":
            before = [k for k in known if k < t]
            after = [k for k in known if k > t]
            if before and after:
                t0, t1 = before[-1], after[0]
                out[t] = series[t0] + (series[t1] - series[t0]) * (t - t0) / (t1 - t0)
        else:
            v = _at(fill, t)
            if v is not None and math.isfinite(v):
                out[t] = v
    for t in series:  # datapoints off the grid are kept as they are
        out.setdefault(t, series[t])
    return out
