"""Prompt templates: Jinja2, sandboxed, with undefined variables as errors."""

import functools
from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.meta

from podium.score.template_limits import (
    BoundedEnvironment,
    TemplateLimit,
    TemplateTooSlow,
    render_bounded,
)

_ENV = BoundedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


class TemplateProblem(Exception):
    """A template that does not compile or render; `line` is within the template, if known.
    `slow`: the render ran out of time (rendering the template again would too)."""

    def __init__(self, message: str, line: int | None, *, slow: bool = False) -> None:
        super().__init__(message)
        self.line = line
        self.slow = slow


@functools.lru_cache(maxsize=128)
def compile_template(source: str) -> jinja2.Template:
    """The template of `source`, compiled once per text: a template is never changed by
    rendering it, and the jobs of one score (or a recovery of thousands) share their text."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from None


def parse_template(source: str) -> jinja2.nodes.Template:
    """The syntax tree of `source`, as the prompt templates' environment reads it (raises
    `jinja2.TemplateSyntaxError`). Meant for analysis: `meta.find_undeclared_variables`
    compiles it, with the operators and filters bounded as in a render."""
    return _ENV.parse(source)


def names_used(source: str) -> set[str]:
    """The variables a template reads (none when it does not parse)."""
    try:
        return set(jinja2.meta.find_undeclared_variables(_ENV.parse(source)))
    except jinja2.TemplateSyntaxError:
        return set()


def render(template: jinja2.Template, variables: Mapping[str | int, Any]) -> str:
    try:
        return render_bounded(template, {str(k): v for k, v in variables.items()})
    except TemplateLimit as exc:
        slow = isinstance(exc, TemplateTooSlow)
        raise TemplateProblem(str(exc), _template_line(exc), slow=slow) from None
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(
            f"{exc.message}; define it under prompt.variables, or use "
            "'| default(...)' in the template",
            _template_line(exc),
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateProblem(
            f"the template failed to render: {exc}", _template_line(exc)
        ) from None
    except Exception as exc:  # noqa: BLE001 - an error raised inside the template is the score's
        raise TemplateProblem(
            f"the template failed to render: {type(exc).__name__}: {exc}", _template_line(exc)
        ) from None


def _template_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
