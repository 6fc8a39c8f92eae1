"""`skip_when` expressions: a small, safe subset of Python, checked when the score loads.

    sheets.get(3) and sheets[3].validation_passed
    len(sheets) > 2 and not job.failed

Names allowed: `sheets`, `job`, True/False/None and the functions len, bool, int, str, any, all,
max, min. Comparisons, `and`/`or`/`not`, arithmetic, literal lists, tuples and sets, `x if c
else y`, attribute access, indexing and `.get(...)` calls are allowed; nothing else (no
lambdas, comprehensions, imports, dunder attributes, powers). The text is parsed into a syntax
tree and never handed to `eval`.
"""

import ast

NAMES = frozenset({"sheets", "job", "True", "False", "None"})
FUNCTIONS = frozenset({"len", "bool", "int", "str", "any", "all", "max", "min"})
METHODS = frozenset({"get"})

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is,
    ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.Attribute, ast.Subscript, ast.Call,
    ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
    ast.Mod, ast.IfExp,
)  # fmt: skip


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


def _check(node: ast.AST, text: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(
            f"{text!r} uses {type(node).__name__}, which skip_when does not "
            "allow; use comparisons, and/or/not, sheets[...] and job.*"
        )
    if isinstance(node, ast.Name) and node.id not in NAMES | FUNCTIONS:
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
