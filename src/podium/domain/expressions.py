"""`skip_when` expressions: a small, safe subset of Python, checked when the score loads and
evaluated by the engine when the sheet is about to run.

    sheets.get(3) and sheets[3].validation_passed
    len(sheets) > 2 and not job.failed

Names allowed: `sheets`, `job`, True/False/None and the functions len, bool, int, str, any, all,
max, min. Comparisons, `and`/`or`/`not`, arithmetic, literal lists, tuples and sets, `x if c
else y`, attribute access, indexing and `.get(...)` calls are allowed; nothing else (no
lambdas, comprehensions, imports, dunder attributes, powers). The text is parsed into a syntax
tree and interpreted node by node; it is never handed to `eval`.
"""

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

NAMES = frozenset({"sheets", "job", "True", "False", "None"})
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "bool": bool,
    "int": int,
    "str": str,
    "any": any,
    "all": all,
    "max": max,
    "min": min,
}
METHODS = frozenset({"get"})

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is,
    ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.Attribute, ast.Subscript, ast.Call,
    ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
    ast.Mod, ast.IfExp,
)  # fmt: skip
MAX_SEQUENCE = 10_000
"""The longest string or list an expression may build (`'-' * n`): it runs in the conductor."""


def _times(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        if (
            isinstance(sequence, str | list | tuple)
            and isinstance(count, int)
            and len(sequence) * count > MAX_SEQUENCE
        ):
            raise ExpressionError(f"a sequence longer than {MAX_SEQUENCE} would be built")
    return operator.mul(left, right)


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _times,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class ExpressionError(ValueError):
    pass


def parse_expression(text: str) -> ast.Expression:
    """The checked syntax tree of `text`, or `ExpressionError` saying what is not allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {text!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        _check(node, text)
    return tree


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """The value of `text` with `sheets` and `job` from `names`; ExpressionError on failure."""
    tree = parse_expression(text)
    try:
        return _value(tree.body, names)
    except ExpressionError as exc:
        raise ExpressionError(f"{text!r} failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever it raises (OverflowError…), it failed
        raise ExpressionError(f"{text!r} failed: {type(exc).__name__}: {exc}") from None


def _value(node: ast.expr, names: Mapping[str, Any]) -> Any:  # noqa: C901, PLR0911, PLR0912
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            if name in FUNCTIONS:
                return FUNCTIONS[name]
            return {"True": True, "False": False, "None": None}.get(name, names.get(name))
        case ast.BoolOp(op=op, values=values):
            result: Any = None
            for item in values:
                result = _value(item, names)
                if isinstance(op, ast.And) != bool(result):
                    return result
            return result
        case ast.UnaryOp(op=op, operand=operand):
            value = _value(operand, names)
            return (
                (not value)
                if isinstance(op, ast.Not)
                else (-value if isinstance(op, ast.USub) else +value)
            )
        case ast.BinOp(left=left, op=op, right=right):
            return _BINARY[type(op)](_value(left, names), _value(right, names))
        case ast.Compare(left=left, ops=ops, comparators=rights):
            current = _value(left, names)
            for comparison, right in zip(ops, rights, strict=True):
                other = _value(right, names)
                if not _COMPARE[type(comparison)](current, other):
                    return False
                current = other
            return True
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _value(body if _value(test, names) else orelse, names)
        case ast.List(elts=items) | ast.Tuple(elts=items) | ast.Set(elts=items):
            values = [_value(i, names) for i in items]
            return (
                set(values)
                if isinstance(node, ast.Set)
                else (tuple(values) if isinstance(node, ast.Tuple) else values)
            )
        case ast.Attribute(value=target, attr=attr):
            base = _value(target, names)
            return base.get(attr) if isinstance(base, Mapping) else getattr(base, attr)
        case ast.Subscript(value=target, slice=index):
            return _value(target, names)[_value(index, names)]
        case ast.Call(func=ast.Attribute(value=target, attr="get"), args=args):
            return _value(target, names).get(*[_value(a, names) for a in args])
        case ast.Call(func=func, args=args):
            return _value(func, names)(*[_value(a, names) for a in args])
    raise AssertionError(f"_check allowed a node _value does not know: {ast.dump(node)}")


def _check(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(
            f"{text!r} uses {type(node).__name__}, which skip_when does not "
            "allow; use comparisons, and/or/not, sheets[...] and job.*"
        )
    if isinstance(node, ast.Name) and node.id not in NAMES | set(FUNCTIONS):
        raise ExpressionError(
            f"{text!r} uses '{node.id}'; a skip_when expression can use "
            f"sheets, job and {', '.join(sorted(FUNCTIONS))}"
        )
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ExpressionError(f"{text!r} reads '{node.attr}', which is not allowed")
    if isinstance(node, ast.Call):
        func = node.func
        named = isinstance(func, ast.Name) and func.id in FUNCTIONS
        method = isinstance(func, ast.Attribute) and func.attr in METHODS
        if not (named or method) or node.keywords:
            raise ExpressionError(
                f"{text!r} calls something other than {', '.join(sorted(FUNCTIONS))} or .get()"
            )
