"""Prompt templates rendered within bounds of size and time.

Jinja's sandbox keeps a template from reaching Python's internals, not from asking for a
gigabyte: `{{ "y" * 10**9 }}`, `{{ "y" | center(10**9) }}` or three nested loops over
`range(100000)` would hold the conductor (or `podium validate`) for minutes and take gigabytes.
`BoundedEnvironment` refuses such requests *before* computing them, where the size of the
result can be told from the operands (repetition, padding, widths in format specs, joins and
replacements), checks the size of every other result after it, counts the iterations of every
`for` loop, and checks a wall-clock deadline all along. What a template prints is counted as it
is produced. A template that goes past a limit raises `TemplateLimit`, which names the limit.

Marianne's templates stay as they were: the limits are far above what a prompt needs.
"""

import contextlib
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

TEXT_MAX_CHARS = 4 * 1024 * 1024
"""The most text a template may make: what it renders, and any one value within it."""
ITEMS_MAX = 1_000_000
"""The most items of a list a template may make, and the most loop iterations of a render."""
INT_MAX_BITS = 64 * 1024
"""The largest integer a template may compute (about 19,700 digits)."""
RENDER_SECONDS = 5.0
"""How long one render may take."""

_TICK_EVERY = 256
"""Loop iterations between two looks at the clock."""


class TemplateLimit(Exception):
    """A template asked for more than a limit allows; the message says which and what to do."""


class TemplateTooSlow(TemplateLimit):
    """A render ran past `RENDER_SECONDS`."""


@dataclass
class _Budget:
    deadline: float
    iterations: int = field(default=0)

    def tick(self, count: int = 1) -> None:
        self.iterations += count
        if self.iterations > ITEMS_MAX:
            raise TemplateLimit(
                f"the prompt template runs more than {ITEMS_MAX:,} loop iterations; loop "
                "over less, or move the work into a script the sheet runs"
            )
        if time.monotonic() > self.deadline:
            raise TemplateTooSlow(
                f"the prompt template takes more than {RENDER_SECONDS:g} seconds to render; "
                "loop over less, or move the work into a script the sheet runs"
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("podium_template_budget", default=None)


def _tick(count: int = 0) -> None:
    """Count `count` loop iterations, and look at the clock."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick(count)


def _too_much_text(size: int, what: str) -> TemplateLimit:
    return TemplateLimit(
        f"the prompt template makes more than {_mib(TEXT_MAX_CHARS)} of text ({what} would "
        f"make {size:,} characters); make it smaller, or read large content from a file the "
        "sheet's instrument opens itself"
    )


def _mib(chars: int) -> str:
    return f"{chars // (1024 * 1024)} MiB"


def weight(value: object, limit: int = TEXT_MAX_CHARS) -> int:
    """About how many characters `value` holds, counting a value each time it is referred to
    (`[s] * 1000` weighs 1000 times `s`); the count stops once past `limit`."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
        else:
            total += 1
    return total


def _checked(value: Any, what: str) -> Any:
    size = weight(value)
    _refuse_estimate(size, what)
    if isinstance(value, list | tuple | Mapping | set) and len(value) > ITEMS_MAX:
        raise TemplateLimit(
            f"the prompt template makes a list of more than {ITEMS_MAX:,} items ({what}); "
            "make it smaller"
        )
    return value


def _count(value: object) -> int | None:
    """`value` as a count (an int that is not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _int_bits(value: object) -> int:
    number = _count(value)
    return number.bit_length() if number is not None else 0


def _refuse_int(bits: int, what: str) -> None:
    if bits > INT_MAX_BITS:
        raise TemplateLimit(
            f"the prompt template computes a number of more than {INT_MAX_BITS:,} bits "
            f"({what}); use smaller numbers"
        )


# ---- operators ------------------------------------------------------------------------


def check_binop(operator: str, left: object, right: object) -> None:
    """Refuse `left operator right` when its result would be too large."""
    if operator == "*":
        _check_repeat(left, right)
    elif operator == "**":
        exponent = _count(right)
        if _count(left) is not None and exponent is not None and exponent > 0:
            _refuse_int(max(1, _int_bits(left)) * exponent, "a power")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left, right)
    elif operator == "+":
        size = weight(left) + weight(right)
        _refuse_estimate(size, "'+'")


def _check_repeat(left: object, right: object) -> None:
    times, sequence = (_count(right), left) if _count(right) is not None else (_count(left), right)
    if times is None:
        return
    if _count(sequence) is not None:
        _refuse_int(_int_bits(sequence) + _int_bits(times), "a product")
    elif isinstance(sequence, str | bytes | list | tuple):
        size = weight(sequence) * max(times, 0)
        _refuse_estimate(size, "'*'")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent(template: str, args: object) -> None:
    """`template % args`: the widths and precisions it asks for, and the arguments it prints."""
    size = len(template) + weight(args)
    stars = False
    for match in _PERCENT_SPEC.finditer(template):
        for number in match.groups():
            if number == "*":
                stars = True
            elif number:
                size += int(number)
    if stars:
        values = args if isinstance(args, tuple) else (args,)
        size += sum(max(_count(v) or 0, 0) for v in values)
    _refuse_estimate(size, "'%' formatting")


_FORMAT_NUMBER = re.compile(r"\d+")


def check_format(template: str, args: Iterable[object]) -> None:
    """`template.format(*args)`: the widths and precisions its fields ask for."""
    size = len(template) + sum(weight(a) for a in args)
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format will say what is wrong with it
    for _, _, spec, _ in fields:
        if not spec:
            continue
        size += sum(int(n) for n in _FORMAT_NUMBER.findall(spec))
        if "{" in spec:  # a width given as an argument
            size += sum(max(_count(a) or 0, 0) for a in args)
    _refuse_estimate(size, "a format spec")


# ---- calls and filters ----------------------------------------------------------------


def _padded(value: object, width: object, *_rest: object) -> int:
    return max(weight(value), _count(width) or 0)


def _expanded(value: object, tabsize: object = 8) -> int:
    if not isinstance(value, str | bytes):
        return 0
    tab = "\t" if isinstance(value, str) else b"\t"
    return len(value) + value.count(tab) * max(_count(tabsize) or 0, 0)  # type: ignore[arg-type]


def _replaced(value: object, old: object, new: object, count: object = -1) -> int:
    if not isinstance(value, str | bytes):
        return 0
    if type(old) is not type(value) or type(new) is not type(value):
        return len(value)
    assert isinstance(old, str | bytes) and isinstance(new, str | bytes)
    times = value.count(old) if old else len(value) + 1  # type: ignore[arg-type]
    limit = _count(count)
    if limit is not None and limit >= 0:
        times = min(times, limit)
    return len(value) + times * max(0, len(new) - len(old))


def _translated(value: object, table: object, *_rest: object) -> int:
    """`str.translate` may map each character to a long text; `bytes.translate` cannot."""
    if not isinstance(value, str) or not isinstance(table, Mapping):
        return weight(value)
    longest = max((weight(v) for v in table.values()), default=1)
    return len(value) * max(longest, 1)


def _joined(separator: object, items: object) -> int:
    values = list(items) if isinstance(items, Iterable) else []
    return weight(values) + weight(separator) * len(values)


_STR_METHODS: dict[str, Callable[..., int]] = {
    "center": _padded,
    "ljust": _padded,
    "rjust": _padded,
    "zfill": _padded,
    "expandtabs": _expanded,
    "replace": _replaced,
    "join": _joined,
    "translate": _translated,
}
"""The size of what a `str` method would make, from its arguments."""


def _indented(value: object, width: object = 4, *_rest: object, **_kw: object) -> int:
    text = value if isinstance(value, str) else ""
    pad = len(width) if isinstance(width, str) else max(_count(width) or 0, 0)
    return len(text) + (text.count("\n") + 1) * pad


def _wrapped(value: object, width: object = 79, *rest: object, **kw: object) -> int:
    text = value if isinstance(value, str) else ""
    wrap = kw.get("wrapstring", rest[1] if len(rest) > 1 else "\n")
    lines = len(text) // max(_count(width) or 1, 1) + text.count(" ") + 1
    return len(text) + lines * (len(wrap) if isinstance(wrap, str) else 1)


def _filter_join(value: object, d: object = "", *_rest: object, **_kw: object) -> int:
    return _joined(d, value)


def _filter_format(value: object, *args: object, **kwargs: object) -> int:
    if isinstance(value, str):
        _check_percent(value, args or kwargs)
    return 0


def _sliced(value: object, slices: object, *_rest: object, **_kw: object) -> int:
    return weight(value) + (_count(slices) or 0)


def _batched(value: object, linecount: object, fill_with: object = None, **kw: object) -> int:
    fill = kw.get("fill_with", fill_with)
    return weight(value) + ((_count(linecount) or 0) * weight(fill) if fill is not None else 0)


def _as_json(value: object, indent: object = None, **kw: object) -> int:
    spaces = _count(kw.get("indent", indent)) or 0
    return weight(value) * (2 + spaces)


_FILTERS: dict[str, Callable[..., int]] = {
    "center": _padded,
    "indent": _indented,
    "wordwrap": _wrapped,
    "replace": _replaced,
    "join": _filter_join,
    "format": _filter_format,
    "slice": _sliced,
    "batch": _batched,
    "tojson": _as_json,
}
"""The size of what a filter would make, from its arguments."""


def _refuse_estimate(size: int, what: str) -> None:
    if size > TEXT_MAX_CHARS:
        raise _too_much_text(size, what)


def guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` (the filter `name`), refusing what would be too large before it runs and
    checking what it made after."""
    estimate = _FILTERS.get(name)

    def run(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if estimate is not None:
            args = _replayable(args)
            values = args[1:] if getattr(function, "jinja_pass_arg", None) else args
            if values:
                _refuse_estimate(estimate(*values, **kwargs), f"the filter '{name}'")
        return _checked(function(*args, **kwargs), f"the filter '{name}'")

    # Jinja reads how to call a filter (with the context, the environment…) from this mark.
    with contextlib.suppress(AttributeError):
        run.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return run


def _replayable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """`args` with each iterator (a `map`, a `select`…) made a list, so that estimating the
    size of a result does not use up what the call itself then reads."""
    if not any(isinstance(a, Iterator) for a in args):
        return args
    return tuple(list(a) if isinstance(a, Iterator) else a for a in args)


_MUTATORS = frozenset({"append", "extend", "insert", "update", "setdefault", "add"})


def check_call(
    function: object, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Refuse a call whose result would be too large: a `str` method asked for a huge
    padding, replacement or join, or a format spec with a huge width. Returns the arguments
    to call with (an iterator among them made a list)."""
    wrapped = getattr(function, "__wrapped__", function)
    owner = getattr(wrapped, "__self__", None)
    name = getattr(wrapped, "__name__", "")
    if isinstance(owner, str | bytes):
        if name in ("format", "format_map") and isinstance(owner, str):
            check_format(owner, [*args, *kwargs.values()])
        elif name in _STR_METHODS:
            args = _replayable(args)
            what = f"{type(owner).__name__}.{name}"
            _refuse_estimate(_STR_METHODS[name](owner, *args, **kwargs), what)
    return args


def check_call_result(function: object, result: Any) -> Any:
    """The result of a call, refused when too large; a list, dict or set the call changed
    in place is checked too."""
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if name in _MUTATORS and isinstance(owner, list | dict | set):
        _checked(owner, f"{type(owner).__name__}.{name}")
    return _checked(result, "a call")


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's `lipsum`, refused when it would make too much text."""
    # About 12 characters a word, at most `max` words a paragraph.
    _refuse_estimate((_count(max) or 0) * 12 * (_count(n) or 0), "lipsum")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


# ---- loops and output -----------------------------------------------------------------

LOOP_FILTER = "podium_counted_loop"
CHECK_FILTER = "podium_checked_text"


def checked_text(value: Any) -> Any:
    """What `~` made, refused when too large."""
    return _checked(value, "'~'")


def bounded_concat(parts: Iterable[str], what: str = "a block") -> str:
    """What a block, a macro or a `{% set %}` block printed (or a whole render), joined;
    refused as soon as it is too large."""
    kept: list[str] = []
    size = 0
    for part in parts:
        size += len(part)
        _refuse_estimate(size, what)
        kept.append(part)
    return "".join(kept)


def counted_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """The items of a `for` loop, counted against the render's iteration budget."""
    pending = 0
    for item in iterable:
        pending += 1
        if pending == _TICK_EVERY:  # the clock is read once per batch: loops are hot
            _tick(pending)
            pending = 0
        yield item
    _tick(pending)


def count_loops(template: nodes.Template) -> nodes.Template:
    """Rewrite a parsed template so that every `for` loop iterates through `counted_loop` and
    every `~` is checked by `checked_text` (Jinja computes both without calling back)."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
    for parent in list(template.find_all(nodes.Node)):
        for name, child in parent.iter_fields():
            if isinstance(child, nodes.Concat):
                setattr(parent, name, _check(child))
            elif isinstance(child, list):
                child[:] = [_check(c) if isinstance(c, nodes.Concat) else c for c in child]
    return template


def _check(node: nodes.Concat) -> nodes.Filter:
    return nodes.Filter(node, CHECK_FILTER, [], [], None, None, lineno=node.lineno)


class BoundedEnvironment(SandboxedEnvironment):
    """A sandbox whose templates cannot make more than `TEXT_MAX_CHARS` of text or run for
    more than `RENDER_SECONDS`."""

    # Intercepted operators are computed by `call_binop`, never folded at compile time: a
    # constant `"y" * 10**9` is refused when rendered, not computed when compiled.
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    concat = staticmethod(bounded_concat)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: guarded_filter(name, f) for name, f in self.filters.items()}
        self.filters[LOOP_FILTER] = counted_loop
        self.filters[CHECK_FILTER] = checked_text
        self.globals["lipsum"] = bounded_lipsum

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return count_loops(super()._parse(source, name, filename))

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        _tick()
        check_binop(operator, left, right)
        return _checked(super().call_binop(context, operator, left, right), f"'{operator}'")

    def call(
        __self,  # Jinja's own signature: the call's keyword arguments may be named `self`
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _tick()
        args = check_call(__obj, args, kwargs)
        result = SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        return check_call_result(__obj, result)


def render_bounded(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """Render `template`, raising `TemplateLimit` when it makes more than `TEXT_MAX_CHARS`,
    runs more than `ITEMS_MAX` loop iterations, or takes longer than `RENDER_SECONDS`."""
    token = _BUDGET.set(_Budget(time.monotonic() + RENDER_SECONDS))
    try:
        return bounded_concat(template.generate(variables), "its output")
    finally:
        _BUDGET.reset(token)
