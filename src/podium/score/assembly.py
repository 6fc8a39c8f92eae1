"""The whole prompt an agent receives for one attempt of a sheet, assembled in layers.

In order: the preamble (which sheet this is, where to work, how success is judged), injected
skills and tools (prelude and cadenzas, read when the sheet runs, and the techniques active in
the sheet's movement with their manifest), injected context, the rendered template,
`prompt_extensions`, the outputs and files of earlier sheets (`cross_sheet`, unless the
template already places them), the spec fragments of the sheet (`spec`, `sheet.spec_tags`),
lessons from this job's failed attempts (`prompt.lessons`), the success requirements built from
the sheet's validations, and in a completion attempt the checks that failed. `layers` gives
each part with where it came from. An instrument with `raw_prompt` receives the rendered
template alone.

Earlier sheets' outputs and captured files are also template variables (`previous_outputs`,
`previous_files`, `skipped_upstream`), as in Marianne, and so is their feedback
(`previous_feedback`, when the score sets `feedback`); so are the injected items
(`injected_context`, `injected_skills`, `injected_tools`).
"""

import glob
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.domain.errors import UserError
from podium.domain.ids import SheetNum
from podium.domain.lessons import Lesson, lessons_text
from podium.domain.validation import ValidationRule
from podium.host.bounded import read_head
from podium.score.compiled import CompiledScore
from podium.score.feedback import feedback_value
from podium.score.model import Injection
from podium.score.spec import SpecLayer, chosen, load_corpus, spec_layer
from podium.score.techniques import Technique, active, skill_texts
from podium.score.template import names_used

OutputOf = Callable[[int], str | None]
"""The output (result text) of an earlier sheet's successful attempt; None when it has none."""

SKIPPED = "[SKIPPED]"
_EXTENSION_FILE_SUFFIXES = (".md", ".txt", ".j2", ".jinja", ".prompt")
_INJECTED_FILE_MAX_CHARS = 200_000


class InjectionMissing(UserError):
    """A `required: true` prelude or cadenza item is not there when the sheet runs."""


@dataclass(frozen=True, slots=True)
class AttemptContext:
    """What the prompt of one attempt depends on beyond the score."""

    attempt: int = 1
    completion_of: tuple[str, ...] = ()
    """The checks the previous attempt failed: this is a completion attempt."""
    previous_error: str | None = None
    """Why the previous attempt failed, for a retry."""
    person_prompt: str | None = None
    """A person's text given with the sheet's approval (Marianne's modify_prompt)."""
    replace_prompt: bool = False
    """True: `person_prompt` replaces the sheet's own prompt; False: it follows it."""
    output_of: OutputOf = field(default=lambda _num: None)
    skipped: frozenset[int] = frozenset()
    """Earlier sheets that were skipped."""
    lessons: tuple[Lesson, ...] = ()
    """How this job's earlier attempts failed, newest first (already masked)."""


@dataclass(frozen=True, slots=True)
class Injected:
    context: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Layer:
    """One part of a prompt, and where it came from (`podium run --dry-run --show-prompts`)."""

    name: str
    origin: str
    text: str


def assemble(score: CompiledScore, num: SheetNum, attempt: AttemptContext, *, raw: bool) -> str:
    """The prompt of attempt `attempt` of sheet `num`."""
    parts = layers(score, num, attempt, raw=raw)
    return parts[0].text if raw else join_layers(parts)


def join_layers(parts: Sequence[Layer]) -> str:
    return "\n\n".join(layer.text for layer in parts if layer.text) + "\n"


def layers(
    score: CompiledScore, num: SheetNum, attempt: AttemptContext, *, raw: bool
) -> list[Layer]:
    """The prompt's layers, in order; those with nothing to say have empty text."""
    sheet = score.sheet(num)
    variables = cross_sheet_variables(score, num, attempt)
    variables["previous_feedback"] = previous_feedback(score, num, attempt)
    injected = Injected() if raw else injections(score, num, variables)
    variables |= {
        "injected_context": injected.context,
        "injected_skills": injected.skills,
        "injected_tools": injected.tools,
    }
    body = score.render_with(num, variables)
    template = Layer("template", _template_origin(score), body)
    added = ""
    if attempt.person_prompt is not None:
        if attempt.replace_prompt:
            template = Layer("template", "a person's text, given with the sheet's approval", "")
            body = attempt.person_prompt
        else:
            added = f"## Instructions from a person\n\n{attempt.person_prompt.strip()}"
    if raw:
        text = body + (f"\n\n{attempt.person_prompt}" if added else "")
        return [Layer("template", template.origin + " (raw_prompt: the template alone)", text)]
    if not body.strip():
        template = Layer("template", "Podium's default (the score has no template)", "")
        body = _default_body(sheet.identity.num, sheet.identity.total_sheets)
    spec = spec_for(score, num)
    injections_from = f"sheet.prelude and sheet.cadenzas.{num}"
    techniques = techniques_for(score, num)
    skills = [*injected.skills, *skill_texts(techniques, sheet.identity.stage)]
    skills_from = injections_from
    if techniques:
        skills_from += f"; techniques {', '.join(t.name for t in techniques)}"
    requirements = score.validations(num)
    return [
        Layer("preamble", "Podium", preamble(score, num, attempt)),
        Layer("skills", skills_from, _section("Injected Skills", skills)),
        Layer("tools", injections_from, _section("Injected Tools", injected.tools)),
        Layer("context", injections_from, _section("Injected Context", injected.context)),
        Layer("template", template.origin, body.strip()),
        Layer("instructions", "a person's text, given with the sheet's approval", added),
        Layer(
            "extensions",
            f"prompt.prompt_extensions and sheet.prompt_extensions.{num}",
            "\n\n".join(extensions(score, num)),
        ),
        Layer("previous sheets", "cross_sheet", _previous_work(score, variables)),
        Layer("spec", _spec_origin(spec), spec.text),
        Layer(
            "lessons",
            f"{len(attempt.lessons)} failed attempt(s) of this job (prompt.lessons)",
            lessons_text(attempt.lessons) if score.model.prompt.lessons else "",
        ),
        Layer(
            "success requirements",
            f"the sheet's {len(requirements)} validation(s)",
            success_requirements(requirements),
        ),
        Layer(
            "completion",
            "the checks the previous attempt failed",
            completion_suffix(attempt.completion_of),
        ),
    ]


def techniques_for(score: CompiledScore, num: SheetNum) -> list[Technique]:
    """The techniques active in sheet `num`'s movement (its phase)."""
    if not score.model.techniques:
        return []
    stage = score.sheet(num).identity.stage
    movement = score.model.movements.get(stage)
    name = movement.name if movement is not None else None
    return active(score.model.techniques, stage, name, score.path.parent)


def _template_origin(score: CompiledScore) -> str:
    source = score.template_source
    if source is None:
        return "Podium's default (the score has no template)"
    where = "prompt.template_file" if source.file != str(score.path) else "prompt.template"
    return f"{where} ({source.file}, line {source.first_line})"


def spec_for(score: CompiledScore, num: SheetNum) -> SpecLayer:
    """The spec fragments of sheet `num` (its `sheet.spec_tags`), read now."""
    config = score.model.spec
    if not (config.fragments or config.spec_dir or config.include_claude_md):
        return SpecLayer("")
    corpus = load_corpus(config, score.path.parent, score.workspace)
    return spec_layer(chosen(corpus, score.model.sheet.spec_tags.get(num)), config.max_chars)


def _spec_origin(spec: SpecLayer) -> str:
    origin = f"spec fragments {', '.join(spec.names)}" if spec.names else "spec"
    if spec.left_out:
        origin += f" (left out for size: {', '.join(spec.left_out)})"
    return origin


def preamble(score: CompiledScore, num: SheetNum, attempt: AttemptContext) -> str:
    sheet = score.sheet(num).identity
    where = f"movement {sheet.stage}"
    if sheet.fan_count > 1:
        where += f", voice {sheet.instance} of {sheet.fan_count}"
    lines = [
        f"You are running sheet {sheet.num} of {sheet.total_sheets} of '{score.model.name}' "
        f"({where}).",
        f"Workspace: {score.workspace}",
    ]
    if score.model.parallel.enabled:
        lines.append(
            "Other sheets may run at the same time in this workspace: touch only the files "
            "this sheet is about."
        )
    lines += [
        "The task below describes the intent; success is judged automatically by the checks "
        "listed under 'Success requirements' when you finish, not by your exit status.",
        "Write your outputs inside the workspace. Leave no background process running.",
    ]
    if attempt.attempt > 1 and attempt.previous_error and not attempt.completion_of:
        lines.append(
            f"This is attempt {attempt.attempt}; the previous attempt failed: "
            f"{attempt.previous_error}"
        )
    return "<podium-preamble>\n" + "\n".join(lines) + "\n</podium-preamble>"


def success_requirements(rules: Sequence[ValidationRule]) -> str:
    if not rules:
        return ""
    items = "\n".join(f"- [ ] {_requirement(rule)}" for rule in rules)
    return f"## Success requirements (validated automatically)\n\n{items}"


def _requirement(rule: ValidationRule) -> str:
    text = rule.expectation()
    if rule.description:
        text = f"{rule.description}: {text}"
    return text


def completion_suffix(failed: Sequence[str]) -> str:
    if not failed:
        return ""
    items = "\n".join(f"- {check}" for check in failed)
    return (
        "## Completion: finish the previous attempt's work\n\n"
        "The previous attempt ran, and some of its work already passes its checks: keep it. "
        f"These checks still fail:\n\n{items}\n\n"
        "Change only what these checks need, then stop."
    )


def cross_sheet_variables(
    score: CompiledScore, num: SheetNum, attempt: AttemptContext
) -> dict[str, Any]:
    """`previous_outputs`, `previous_files` and `skipped_upstream` for sheet `num`."""
    config = score.model.cross_sheet
    if config is None:
        return {"previous_outputs": {}, "previous_files": {}, "skipped_upstream": []}
    first = 1 if config.lookback_sheets == 0 else max(1, num - config.lookback_sheets)
    outputs: dict[int, str] = {}
    skipped = []
    for earlier in range(first, num):
        if earlier in attempt.skipped:
            outputs[earlier] = SKIPPED
            skipped.append(earlier)
            continue
        if config.auto_capture_stdout:
            text = attempt.output_of(earlier)
            if text is not None:
                outputs[earlier] = _cap(text, config.max_output_chars)
    files = {
        path: _cap(_read(Path(path)), config.max_output_chars)
        for path in _captured_files(score, num, config.capture_files)
    }
    return {"previous_outputs": outputs, "previous_files": files, "skipped_upstream": skipped}


def previous_feedback(
    score: CompiledScore, num: SheetNum, attempt: AttemptContext
) -> dict[int, Any]:
    """The feedback of earlier sheets (within `cross_sheet.lookback_sheets`, when set), by
    sheet: read from their kept answers, when the score asks for feedback."""
    config = score.model.feedback
    if not config.enabled:
        return {}
    lookback = score.model.cross_sheet.lookback_sheets if score.model.cross_sheet else 0
    first = 1 if lookback == 0 else max(1, num - lookback)
    found = {}
    for earlier in range(first, num):
        value = feedback_value(attempt.output_of(earlier) or "", config)
        if value is not None:
            found[earlier] = value
    return found


def _captured_files(score: CompiledScore, num: SheetNum, patterns: Sequence[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        rendered = score.render_text(num, pattern)
        base = Path(rendered)
        path = str(base if base.is_absolute() else score.workspace / base)
        found += sorted(p for p in glob.glob(path, recursive=True) if Path(p).is_file())  # noqa: PTH207
    return list(dict.fromkeys(found))


def injections(score: CompiledScore, num: SheetNum, variables: Mapping[str, Any]) -> Injected:
    """The prelude and the sheet's cadenzas, read now; paths may use the template variables."""
    injected = Injected()
    items = [*score.model.sheet.prelude, *score.model.sheet.cadenzas.get(num, [])]
    for item in items:
        for text in _read_injection(score, num, item, variables):
            match item.as_:
                case "context":
                    injected.context.append(text)
                case "skill":
                    injected.skills.append(text)
                case "tool":
                    injected.tools.append(text)
    return injected


def _read_injection(
    score: CompiledScore, num: SheetNum, item: Injection, variables: Mapping[str, Any]
) -> Iterator[str]:
    target = score.render_text(num, item.file or item.directory or "", variables)
    path = Path(target)
    path = path if path.is_absolute() else score.path.parent / path
    files = [path] if item.file else sorted(p for p in path.glob("*") if p.is_file())
    if (item.file and not path.is_file()) or (item.directory and not path.is_dir()):
        if item.required:
            kind = "file" if item.file else "folder"
            raise InjectionMissing(
                f"sheet {num}: the required {kind} {path} (prelude/cadenzas, as: {item.as_}) "
                "does not exist; create it or set required: false"
            )
        return
    for file in files:
        text = _read(file)
        if text:
            name = file.name.encode("utf-8", "replace").decode("utf-8")  # undecodable bytes
            yield f"### {name}\n\n{text.strip()}"


def extensions(score: CompiledScore, num: SheetNum) -> list[str]:
    """`prompt.prompt_extensions`, then the sheet's own: text, or a file next to the score."""
    texts = [*score.model.prompt.prompt_extensions]
    texts += score.model.sheet.prompt_extensions.get(num, [])
    found = []
    for entry in texts:
        candidate = score.path.parent / entry.strip()
        is_file = entry.strip().endswith(_EXTENSION_FILE_SUFFIXES) and candidate.is_file()
        text = (_read(candidate) if is_file else entry).strip()
        if text:
            found.append(text)
    return found


def _previous_work(score: CompiledScore, variables: Mapping[str, Any]) -> str:
    """Earlier sheets' outputs and files, unless the template already places them."""
    used = _template_names(score)
    parts = []
    outputs = variables.get("previous_outputs") or {}
    if outputs and "previous_outputs" not in used:
        parts += [f"### Sheet {n}\n\n{text}" for n, text in sorted(outputs.items())]
    files = variables.get("previous_files") or {}
    if files and "previous_files" not in used:
        parts += [f"### {path}\n\n{text}" for path, text in files.items()]
    return _section("Previous sheets", parts)


def _template_names(score: CompiledScore) -> set[str]:
    source = score.template_source
    return set() if source is None else names_used(source.text)


def _section(title: str, items: Sequence[str]) -> str:
    if not items:
        return ""
    return f"## {title}\n\n" + "\n\n".join(items)


def _default_body(num: int, total: int) -> str:
    return f"Carry out sheet {num} of {total} of this score."


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[-limit:]


def _read(path: Path) -> str:
    """A file's text (at most _INJECTED_FILE_MAX_CHARS); undecodable bytes and NULs, which no
    prompt can carry, are dropped."""
    # Bytes, not characters, bound the read: 4 bytes at most per character.
    data = read_head(path, _INJECTED_FILE_MAX_CHARS * 4)
    return data.decode("utf-8", errors="replace")[:_INJECTED_FILE_MAX_CHARS].replace("\0", "")
