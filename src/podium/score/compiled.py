"""A score read, checked and planned: it renders each sheet's prompt and validations on demand."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from pydantic import ValidationError

from podium.domain.ids import SheetNum
from podium.domain.plan import JobPlan
from podium.domain.validation import ValidationKind, ValidationRule
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.errors_from_model import diagnostics
from podium.score.model import ScoreModel
from podium.score.placeholders import expand
from podium.score.planner import ItemRange, build_plan, item_ranges
from podium.score.template import TemplateProblem, compile_template, render
from podium.score.yamlsource import SourceMap, load_yaml


class CompiledScore:
    """What a job needs from its score: the plan, and each sheet's prompt and checks."""

    def __init__(
        self, path: Path, text: str, model: ScoreModel, source: SourceMap, template: jinja2.Template
    ) -> None:
        self.path = path
        self.text = text
        self.model = model
        self.workspace = (path.parent / model.workspace).resolve()
        self.plan: JobPlan = build_plan(model, source)
        self._source = source
        self._template = template
        self._ranges: list[ItemRange] = item_ranges(model.sheet)

    def builtins(self, num: SheetNum) -> dict[str, Any]:
        items = self._ranges[num - 1]
        return {
            "sheet_num": int(num),
            "total_sheets": self.plan.total_sheets,
            "start_item": items.start_item,
            "end_item": items.end_item,
            "workspace": str(self.workspace),
        }

    def prompt(self, num: SheetNum) -> str:
        """The sheet's rendered prompt; user variables override built-ins, as in Marianne."""
        variables: dict[str | int, Any] = {}
        variables.update(self.builtins(num))
        variables.update(self.model.prompt.variables)
        try:
            return render(self._template, variables)
        except TemplateProblem as exc:
            raise ScoreError(
                [template_diagnostic(self._source, self.text, exc, f"sheet {num}: ")]
            ) from None

    def validations(self, num: SheetNum) -> tuple[ValidationRule, ...]:
        """The sheet's rules with placeholders filled in; built-ins win over user variables."""
        values = {
            str(k): v
            for k, v in self.model.prompt.variables.items()
            if isinstance(v, str | int | float)
        }
        values.update(self.builtins(num))
        return tuple(
            self._rule(cfg_index, values) for cfg_index in range(len(self.model.validations))
        )

    def check(self) -> None:
        """Render every sheet once, so template and placeholder errors surface at submission."""
        for sheet in self.plan.sheets:
            self.prompt(sheet.num)
            self.validations(sheet.num)

    def _rule(self, index: int, values: Mapping[str, object]) -> ValidationRule:
        cfg = self.model.validations[index]
        path = None
        if cfg.path is not None:
            expanded = Path(expand(cfg.path, values))
            path = str(expanded if expanded.is_absolute() else self.workspace / expanded)
        return ValidationRule(
            kind=ValidationKind(cfg.type),
            description=cfg.description,
            path=path,
            pattern=cfg.pattern,
            command=expand(cfg.command, values, quote=True) if cfg.command is not None else None,
        )


def template_diagnostic(
    source: SourceMap, text: str, exc: TemplateProblem, prefix: str = ""
) -> Diagnostic:
    """Point at the line of the score where the template's failing line is."""
    mark = source.locate(("prompt", "template"))
    line, column = mark.line, mark.column
    lines = text.splitlines()
    if exc.line is not None and mark.line <= len(lines):
        # A block scalar (`template: |`) starts on the line after its indicator.
        block = lines[mark.line - 1][mark.column - 1 : mark.column] in ("|", ">")
        line = mark.line + exc.line - (0 if block else 1)
        if block and line <= len(lines):
            content = lines[line - 1]
            column = len(content) - len(content.lstrip()) + 1
    return Diagnostic(source.file, line, column, "prompt.template", f"{prefix}{exc}")


def load_score(path: Path) -> CompiledScore:
    """Read, check and plan the score at `path`; `ScoreError` lists every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScoreError([Diagnostic(str(path), 1, 1, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreError(
            [Diagnostic(str(path), 1, 1, "", f"cannot read the score: {exc}")]
        ) from None
    return compile_score(text, path)


def compile_score(text: str, path: Path) -> CompiledScore:
    """Compile score `text` as if read from `path` (which anchors relative paths)."""
    data, source = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ScoreError(
            [
                source.diagnostic(
                    (),
                    "a score is a mapping of keys (name, sheet, "
                    f"prompt, …), not {type(data).__name__}",
                )
            ]
        )
    try:
        model = ScoreModel.model_validate(data)
    except ValidationError as exc:
        raise ScoreError(diagnostics(exc, source)) from None
    try:
        template = compile_template(model.prompt.template)
    except TemplateProblem as exc:
        raise ScoreError([template_diagnostic(source, text, exc)]) from None
    return CompiledScore(path.resolve(), text, model, source, template)
