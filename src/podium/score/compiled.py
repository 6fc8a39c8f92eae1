"""A score read, checked and planned: it renders each sheet's prompt and validations on demand."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from pydantic import ValidationError

from podium.domain.expressions import ExpressionError, parse_expression
from podium.domain.ids import SheetNum
from podium.domain.isolation import Isolation
from podium.domain.notices import Notification
from podium.domain.plan import JobPlan
from podium.domain.policy import HOOK_PLACEHOLDERS
from podium.domain.shell import ShellCommand
from podium.domain.validation import ValidationRule as Rule
from podium.host.bounded import SCORE_MAX_BYTES, RefusedFile, read_user_text
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.errors_from_model import diagnostics
from podium.score.gates import with_gates
from podium.score.model import ScoreModel
from podium.score.notifications import notifications
from podium.score.placeholders import PlaceholderError, script_words, shell_command
from podium.score.planner import PlannedSheet, job_plan, plan_sheets
from podium.score.rehearsal import recast
from podium.score.rules import applicable, check_rules, fill, grounding_rules
from podium.score.template import TemplateProblem, compile_template, render
from podium.score.variables import (
    condition_variables,
    prompt_context,
    validation_context,
)
from podium.score.yamlsource import SourceMap, load_yaml


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """Where a score's prompt template comes from, so its errors can point there."""

    text: str
    file: str
    first_line: int
    """The line of `file` on which the template's first line is."""
    column: int


class CompiledScore:
    """What a job needs from its score: the plan, and each sheet's prompt and checks."""

    def __init__(
        self,
        path: Path,
        text: str,
        model: ScoreModel,
        source: SourceMap,
        template: TemplateSource | None,
        *,
        rehearsal: bool = False,
    ) -> None:
        self.path = path
        self.text = text
        self.model = model
        self.source = source
        self.template_source = template
        self.workspace = (path.parent / model.workspace).resolve()
        self.workspace_override: str | None = None
        """The folder `run --workspace` gave instead of the score's own (kept in the
        job's snapshot)."""
        self.rehearsal = rehearsal
        """Every sheet played by the fake agent (`run --rehearse`, see `podium.score.rehearsal`;
        kept in the job's snapshot)."""
        problems: list[Diagnostic] = []
        self._template = _compile(template, problems)
        try:
            self.sheets: list[PlannedSheet] = plan_sheets(model, source, str(self.workspace))
        except ScoreError as exc:
            problems.extend(exc.diagnostics)
            self.sheets = []
        if rehearsal:
            self.sheets = [recast(s) for s in self.sheets]
        sample = (
            validation_context(self.sheets[0].identity, model.prompt.variables)
            if self.sheets
            else {}
        )
        self._rules, rule_problems = check_rules(model.validations, source, sample)
        problems.extend(rule_problems)
        problems.extend(_check_skip_expressions(model, source))
        problems.extend(_check_shell_commands(model, source, sample))
        if problems:
            raise ScoreError(problems)
        self.plan: JobPlan = with_gates(
            job_plan(model, self.sheets, path.parent), model.gate_block, self.prompt_or_nothing
        )

    @property
    def isolation(self) -> Isolation | None:
        """The score's `isolation` block when it asks for a git worktree per job."""
        block = self.model.isolation
        if not block.enabled or block.mode != "worktree":
            return None
        return Isolation(
            worktree_base=block.worktree_base,
            branch_prefix=block.branch_prefix,
            source_branch=block.source_branch,
            cleanup_on_success=block.cleanup_on_success,
            cleanup_on_failure=block.cleanup_on_failure,
            lock=block.lock_during_execution,
            fallback_on_error=block.fallback_on_error,
        )

    @property
    def notifications(self) -> tuple[Notification, ...]:
        """The score's `notifications:` entries, as the conductor sends them."""
        return notifications(self.model.notifications)

    def sheet(self, num: int) -> PlannedSheet:
        return self.sheets[num - 1]

    def working_directory(self, num: int) -> Path:
        """Where the sheet's instrument runs: its `working_directory` setting (relative to the
        score's folder), the legacy `backend.working_directory`, or the workspace."""
        chosen = (
            self.sheet(num).casting.config.get("working_directory")
            or self.model.backend.working_directory
        )
        return (self.path.parent / str(chosen)).resolve() if chosen else self.workspace

    def prompt(self, num: SheetNum) -> str:
        """The sheet's rendered template; user variables override built-ins, as in Marianne."""
        try:
            return self._render(num)
        except TemplateProblem as exc:
            assert self.template_source is not None
            raise ScoreError(
                [_template_diagnostic(self.template_source, exc, f"sheet {num}: ")]
            ) from None

    def prompt_or_nothing(self, num: SheetNum) -> str:
        """The sheet's prompt, for matching `prompt_contains`; "" when it does not render
        (`check` reports that)."""
        try:
            return self._render(num)
        except TemplateProblem:
            return ""

    def validations(self, num: SheetNum) -> tuple[Rule, ...]:
        """The rules that apply to the sheet, placeholders filled in; built-ins win over user
        variables."""
        context = validation_context(self.sheet(num).identity, self.model.prompt.variables)
        rules = [
            fill(rule, context, self.workspace)
            for rule in applicable(self._rules, condition_variables(context))
        ]
        last_stage = max((rule.stage for rule in rules), default=0)
        grounding = grounding_rules(self.model.grounding, context, self.workspace, last_stage)
        return (*rules, *grounding)

    def skip_command(self, num: SheetNum) -> ShellCommand | None:
        """The sheet's `skip_when_command` (keyed by stage), its placeholders filled in as in
        validation commands: as references to environment variables holding the values."""
        sheet = self.sheet(num)
        found = self.model.sheet.skip_when_command.get(sheet.identity.stage)
        if found is None:
            return None
        context = validation_context(sheet.identity, self.model.prompt.variables)
        return shell_command(found.command, context)

    def check(self) -> None:
        """Render every sheet once, so template errors surface before anything runs. The same
        error on several sheets is reported once, naming them. A template too slow for one
        sheet is not rendered for the others: a score of many sheets would take minutes."""
        failures: dict[tuple[int, str], list[int]] = {}
        for sheet in self.plan.sheets:
            try:
                self._render(sheet.num)
            except TemplateProblem as exc:
                failures.setdefault((exc.line or 0, str(exc)), []).append(sheet.num)
                if exc.slow:
                    break
        if not failures:
            return
        assert self.template_source is not None
        problems = []
        for (line, message), nums in failures.items():
            shown = ", ".join(map(str, nums[:5])) + (
                f" and {len(nums) - 5} more" if len(nums) > 5 else ""
            )
            which = f"sheet {shown}: " if len(nums) == 1 else f"sheets {shown}: "
            problems.append(
                _template_diagnostic(
                    self.template_source, TemplateProblem(message, line or None), which
                )
            )
        raise ScoreError(problems)

    def render_with(self, num: SheetNum, extra: Mapping[str, Any]) -> str:
        """The sheet's template rendered with `extra` variables too (earlier sheets' outputs,
        injected items); a score's own variables of the same names win."""
        try:
            return self._render(num, extra)
        except TemplateProblem as exc:
            assert self.template_source is not None
            raise ScoreError(
                [_template_diagnostic(self.template_source, exc, f"sheet {num}: ")]
            ) from None

    def render_text(self, num: SheetNum, text: str, extra: Mapping[str, Any] | None = None) -> str:
        """A short template (a path in a prelude or `capture_files`) rendered for the sheet."""
        if "{{" not in text and "{%" not in text:
            return text
        try:
            return render(compile_template(text), self.prompt_variables(num, extra))
        except TemplateProblem as exc:
            raise ScoreError(
                [Diagnostic(str(self.path), 1, 1, "", f"sheet {num}: {text!r}: {exc}")]
            ) from None

    def prompt_variables(
        self, num: SheetNum, extra: Mapping[str, Any] | None = None
    ) -> dict[str | int, Any]:
        prompt = self.model.prompt
        context = prompt_context(
            self.sheet(num).identity,
            prompt.variables,
            stakes=prompt.stakes,
            thinking_method=prompt.thinking_method,
            extra=extra,
        )
        return context

    def _render(self, num: SheetNum, extra: Mapping[str, Any] | None = None) -> str:
        if self._template is None:
            return ""
        return render(self._template, self.prompt_variables(num, extra))


def _check_skip_expressions(model: ScoreModel, source: SourceMap) -> list[Diagnostic]:
    problems = []
    for num, text in model.sheet.skip_when.items():
        try:
            parse_expression(text)
        except ExpressionError as exc:
            problems.append(source.diagnostic(("sheet", "skip_when", num), str(exc)))
    return problems


def _check_shell_commands(
    model: ScoreModel, source: SourceMap, sample: Mapping[str, Any]
) -> list[Diagnostic]:
    """Every `skip_when_command` and `run_command` hook fills its placeholders where bash
    takes their values as text, and no `run_script` hook hands one to a shell as code
    (validation commands are checked with their rules)."""
    commands: list[tuple[tuple[str | int, ...], str, Mapping[str, Any]]] = [
        (("sheet", "skip_when_command", stage, "command"), found.command, sample)
        for stage, found in model.sheet.skip_when_command.items()
    ]
    hook_values = {name: sample.get(name, name) for name in HOOK_PLACEHOLDERS}
    commands += [
        (("on_success", index, "command"), hook.command, hook_values)
        for index, hook in enumerate(model.on_success)
        if hook.type == "run_command" and hook.command
    ]
    problems = []
    for where, command, values in commands:
        try:
            shell_command(command, values)
        except PlaceholderError as exc:
            problems.append(source.diagnostic(where, str(exc)))
    for index, hook in enumerate(model.on_success):
        if hook.type == "run_script" and hook.command:
            try:
                script_words(hook.command, hook_values)
            except ValueError as exc:
                problems.append(source.diagnostic(("on_success", index, "command"), str(exc)))
    return problems


def _compile(template: TemplateSource | None, problems: list[Diagnostic]) -> jinja2.Template | None:
    if template is None:
        return None
    try:
        return compile_template(template.text)
    except TemplateProblem as exc:
        problems.append(_template_diagnostic(template, exc))
        return None


def _template_diagnostic(
    template: TemplateSource, exc: TemplateProblem, prefix: str = ""
) -> Diagnostic:
    line = template.first_line + (exc.line - 1 if exc.line else 0)
    return Diagnostic(
        template.file, line, template.column, "prompt.template", f"{prefix}{exc}", code="V001"
    )


def inline_template(source: SourceMap, text: str, template: str) -> TemplateSource:
    """Locate an inline `prompt.template` in the score's text."""
    mark = source.locate(("prompt", "template"))
    lines = text.splitlines()
    indicator = (
        lines[mark.line - 1][mark.column - 1 : mark.column] if mark.line <= len(lines) else ""
    )
    if indicator in ("|", ">"):
        # A block scalar: the template starts on the next line, at its indentation.
        first = mark.line + 1
        body = lines[first - 1] if first <= len(lines) else ""
        return TemplateSource(template, source.file, first, len(body) - len(body.lstrip()) + 1)
    return TemplateSource(template, source.file, mark.line, mark.column)


def load_score(
    path: Path, workspace: str | None = None, *, rehearsal: bool = False
) -> CompiledScore:
    """Read, check and plan the score at `path`; `ScoreError` lists every problem found.
    `workspace` (an absolute folder) replaces the score's own (`run --workspace`); with
    `rehearsal`, the fake agent plays every sheet (`run --rehearse`)."""
    text = read_text(path)
    data, source = load_yaml(text, str(path))
    return compile_data(data, source, text, path, workspace=workspace, rehearsal=rehearsal)


def read_text(path: Path, kind: str = "a score") -> str:
    """The text of a score (or fleet) file: a regular file of at most `SCORE_MAX_BYTES`."""
    try:
        return read_user_text(path, SCORE_MAX_BYTES, kind, "a YAML file")
    except RefusedFile as exc:
        raise ScoreError([Diagnostic(str(path), 1, 1, "", str(exc))]) from None
    except FileNotFoundError:
        raise ScoreError([Diagnostic(str(path), 1, 1, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreError(
            [Diagnostic(str(path), 1, 1, "", f"cannot read the file: {exc}")]
        ) from None


def compile_score(text: str, path: Path, workspace: str | None = None) -> CompiledScore:
    """Compile score `text` as if read from `path` (which anchors relative paths)."""
    data, source = load_yaml(text, str(path))
    return compile_data(data, source, text, path, workspace=workspace)


def compile_data(
    data: object,
    source: SourceMap,
    text: str,
    path: Path,
    *,
    template_file_text: str | None = None,
    workspace: str | None = None,
    rehearsal: bool = False,
) -> CompiledScore:
    """Compile a score already parsed from YAML; `template_file_text` stands in for the
    template file (from a job's snapshot), `workspace` for the score's own; `rehearsal` casts
    the fake agent in every sheet."""
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
    if data.get("type") == "fleet":
        raise ScoreError(
            [
                source.diagnostic(
                    ("type",),
                    "this is a fleet file, not a score; 'podium run' runs it as a "
                    "fleet, but it cannot stand where a score is expected (a run_job "
                    "hook, a member of another fleet, resume --config, modify)",
                )
            ]
        )
    if workspace is not None:
        data = {**data, "workspace": workspace}
    try:
        model = ScoreModel.model_validate(data)
    except ValidationError as exc:
        raise ScoreError(diagnostics(exc, source, ScoreModel)) from None
    score = CompiledScore(
        path.absolute(),
        text,
        model,
        source,
        _template_source(model, source, text, path, template_file_text),
        rehearsal=rehearsal,
    )
    score.workspace_override = workspace
    return score


def _template_source(
    model: ScoreModel, source: SourceMap, text: str, path: Path, pinned: str | None
) -> TemplateSource | None:
    prompt = model.prompt
    if prompt.template is not None:
        return inline_template(source, text, prompt.template)
    if prompt.template_file is None:
        return None
    file = (path.parent / prompt.template_file).resolve()
    if pinned is not None:
        return TemplateSource(pinned, str(file), 1, 1)
    try:
        body = read_user_text(file, SCORE_MAX_BYTES, "a prompt template", "a text file")
    except FileNotFoundError:
        raise ScoreError(
            [
                source.diagnostic(
                    ("prompt", "template_file"), f"template file not found: {file}", code="V003"
                )
            ]
        ) from None
    except RefusedFile as exc:
        raise ScoreError(
            [source.diagnostic(("prompt", "template_file"), str(exc), code="V003")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoreError(
            [
                source.diagnostic(
                    ("prompt", "template_file"),
                    f"cannot read the template file {file}: {exc}",
                    code="V003",
                )
            ]
        ) from None
    return TemplateSource(body, str(file), 1, 1)


def rule_counts(score: CompiledScore) -> dict[int, int]:
    """How many rules apply to each sheet."""
    return {s.num: len(score.validations(s.num)) for s in score.plan.sheets}
