"""`podium validate`'s checks beyond the schema, with Marianne's codes and meanings.

Errors (the score cannot run as written): V004 system prompt file missing, V005 working
directory missing, V009 an evolved score still names its previous version, V210 unknown
instrument (a warning in Marianne, which then skips to a fallback; Podium refuses the score
instead of playing a typo), P008 apprise notifications without apprise
installed, P009 a URL apprise cannot read, P010 a sheet's prompt does not render.

Warnings: V002 the workspace's parent and grandparent missing (the parent alone is an error
in Marianne; Podium creates it), V101 undefined template variable, V103 very short timeout,
V107 a checked file that does not exist, V108 a prelude or cadenza file that does not exist,
V201 Jinja in a validation path, V202 `{var}` in a Jinja template, V203 no validations, V204
Claude CLI without skip_permissions, V206 a fanned-out stage that declared dependencies leave
out (Marianne's "fan-out without dependencies": without any, stages chain and voices run side
by side, as meant), V208 a variable shadowing a built-in, V211 unknown fallback, V212 skip keys
out of range, V214 per-sheet keys out of range, P001 accepted but not acted on yet, P003 an
instrument setting Podium does not know, P004 backend settings for another backend, P005 no
prompt at all, P006 a desktop notification without notify-send, P007 isolation outside any git
repository, P011 one of Marianne's HTTP instruments with no profile here (which `podium run`
refuses: `stops_a_run`), P012 an approval trigger naming a sheet out of range, P013 an approval
trigger that matches no sheet, P014 approval triggers that are not enabled, P015 a spec corpus
that cannot be read (an error), P016 a spec tag no fragment carries, P017 a technique that
cannot work as written (see `check_techniques.py`).

Info: V104 very long timeout, V205 only file_exists checks, V207 fan-out without parallel, V209
Claude CLI without disable_mcp, P002 a key with no effect.

The checks of names and files outside the score are in `check_references.py` and
`check_instruments.py`.
"""

import difflib
import re
from collections.abc import Callable, Collection, Iterator, Sequence

from jinja2 import TemplateSyntaxError, meta, nodes

from podium.score.acted_on import not_acted_on
from podium.score.check_apprise import apprise_notifications
from podium.score.check_gates import gates
from podium.score.check_instruments import RUN_REFUSES, instruments
from podium.score.check_isolation import isolation
from podium.score.check_references import references
from podium.score.check_spec import spec
from podium.score.check_techniques import techniques
from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic, ScoreError
from podium.score.findings import ERROR, INFO, WARNING, finding, listed
from podium.score.template import parse_template
from podium.score.variables import BUILTINS, PROMPT_ONLY

JINJA_GLOBALS = frozenset(
    {"loop", "self", "range", "dict", "lipsum", "cycler", "joiner", "namespace"}
)
LONG_TIMEOUT_SECONDS = 7200
SHORT_TIMEOUT_SECONDS = 60


def check(
    score: CompiledScore,
    known_instruments: Collection[str],
    unreadable: Sequence[str] = (),
    takes_mcp: Callable[[str], bool] | None = None,
) -> list[Diagnostic]:
    """Every finding for a score that compiled, most severe first. `known_instruments` are
    the names of the instrument profiles the score can play; `unreadable` says which profile
    files could not be loaded (one line each), told with an unknown instrument; `takes_mcp`
    whether an instrument can take MCP servers (`Registry.takes_mcp`)."""
    rendering = list(_rendering(score))
    found = [
        *rendering,
        *_version_references(score),
        *_template_variables(score, rendering),
        *_timeouts(score),
        *_validations(score),
        *_fan_out(score),
        *_claude_cli(score),
        *instruments(score, known_instruments, unreadable),
        *references(score),
        *apprise_notifications(score),
        *isolation(score),
        *gates(score),
        *spec(score),
        *techniques(score, takes_mcp),
        *not_acted_on(score.model, score.source),
    ]
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    return sorted(found, key=lambda d: (order[d.severity], d.line, d.column))


def stops_a_run(found: Diagnostic, *, rehearsal: bool = False) -> bool:
    """Whether a finding keeps a score from running here: an error, or a warning about what
    this machine cannot play (the same answer in `podium run` and in the conductor). A
    rehearsal plays none of the score's instruments: only errors stop it."""
    return found.severity is ERROR or (found.code in RUN_REFUSES and not rehearsal)


def _rendering(score: CompiledScore) -> Iterator[Diagnostic]:
    try:
        score.check()
    except ScoreError as exc:
        for d in exc.diagnostics:
            yield Diagnostic(d.file, d.line, d.column, d.path, d.message, "P010", ERROR)


def _version_references(score: CompiledScore) -> Iterator[Diagnostic]:
    match = re.search(r"-v(\d+)\.ya?ml$", score.path.name)
    if match is None or int(match.group(1)) < 2:
        return
    version = int(match.group(1))
    previous = f"v{version - 1}"
    if f"-{previous}" in score.model.name:
        yield finding(
            score,
            ("name",),
            f"the name '{score.model.name}' refers to {previous}, but this file is v{version}",
            "V009",
            ERROR,
        )
    if f"-{previous}" in score.model.workspace or f"{previous}/" in score.model.workspace:
        yield finding(
            score,
            ("workspace",),
            f"the workspace refers to {previous}, but this file is v{version}",
            "V009",
            ERROR,
        )


def _template_variables(score: CompiledScore, rendering: list[Diagnostic]) -> Iterator[Diagnostic]:
    prompt = score.model.prompt
    template = score.template_source
    if template is None:
        yield finding(
            score,
            ("prompt",),
            "the prompt has neither template nor template_file: every sheet gets an empty prompt",
            "P005",
            WARNING,
            key=True,
        )
        return
    where = ("prompt", "template" if prompt.template is not None else "template_file")
    user = {str(k) for k in prompt.variables}
    try:
        tree = parse_template(template.text)
    except TemplateSyntaxError:
        return  # reported by the compiler already
    # Names the template binds itself ({% set %}, {% for %}, macros) are not undefined, even
    # where Jinja's own analysis cannot be sure a branch bound them.
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    known = set(BUILTINS) | set(PROMPT_ONLY) | user | JINJA_GLOBALS | bound
    failed = " ".join(d.message for d in rendering)  # already reported as errors
    for name in sorted(meta.find_undeclared_variables(tree) - known):
        if f"'{name}' is undefined" in failed:
            continue
        close = difflib.get_close_matches(name, sorted(known - JINJA_GLOBALS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; define it in prompt.variables"
        yield finding(score, where, f"undefined variable '{name}'{hint}", "V101", WARNING)
    for name in sorted(user & set(BUILTINS)):
        yield finding(
            score,
            ("prompt", "variables", name),
            f"the variable '{name}' shadows the built-in {name} in prompts",
            "V208",
            WARNING,
            key=True,
        )
    inline = prompt.template or ""
    for name in sorted(set(re.findall(r"(?<!\{)\{([a-z_]+)\}(?!\})", inline)) & set(BUILTINS)):
        yield finding(
            score,
            where,
            f"'{{{name}}}' in the template is Python format syntax; "
            f"Jinja writes '{{{{ {name} }}}}'",
            "V202",
            WARNING,
        )


def _timeouts(score: CompiledScore) -> Iterator[Diagnostic]:
    for too, code, severity in (("short", "V103", WARNING), ("long", "V104", INFO)):
        sheets = [
            s
            for s in score.sheets
            if (
                s.timeout_seconds < SHORT_TIMEOUT_SECONDS
                if too == "short"
                else s.timeout_seconds > LONG_TIMEOUT_SECONDS
            )
        ]
        by_source: dict[tuple[str | int, ...], list[int]] = {}
        for sheet in sheets:
            by_source.setdefault(sheet.timeout_from, []).append(sheet.num)
        for source, nums in by_source.items():
            seconds = score.sheet(nums[0]).timeout_seconds
            amount = f"{seconds / 3600:.1f}h" if too == "long" else f"{seconds:g}s"
            advice = "may stop work that was going fine" if too == "short" else "is it needed?"
            yield finding(
                score,
                source,
                f"a very {too} timeout ({amount}, {listed(nums)}) {advice}",
                code,
                severity,
            )


def _validations(score: CompiledScore) -> Iterator[Diagnostic]:
    rules = score.model.validations
    if not rules:
        yield finding(
            score,
            (),
            "no validations: any sheet whose process exits 0 counts as done",
            "V203",
            WARNING,
        )
    elif all(r.type == "file_exists" for r in rules):
        yield finding(
            score,
            ("validations",),
            "all validations are file_exists: files left by an earlier run will pass them",
            "V205",
            INFO,
            key=True,
        )
    for index, rule in enumerate(rules):
        if rule.path and "{{" in rule.path:
            yield finding(
                score,
                ("validations", index, "path"),
                "Jinja syntax in a validation path: write {workspace}, not {{ workspace }}",
                "V201",
                WARNING,
            )


def _fan_out(score: CompiledScore) -> Iterator[Diagnostic]:
    fanned = sorted({s.movement for s in score.plan.sheets if s.voice_count > 1})
    if not fanned:
        return
    for stage in _left_out(score, fanned):
        yield finding(
            score,
            _fan_out_place(score, stage),
            f"stage {stage} fans out, but sheet.dependencies names it nowhere: its voices start "
            "at once and no stage waits for them; add it to the dependencies, or declare none "
            "(each stage then waits for the one before)",
            "V206",
            WARNING,
            key=True,
        )
    if not score.model.parallel.enabled:
        yield finding(
            score,
            _fan_out_place(score, fanned[0]),
            "fan-out with parallel off: the instances run one at a time",
            "V207",
            INFO,
            key=True,
        )


def _left_out(score: CompiledScore, fanned: list[int]) -> list[int]:
    """The fanned-out stages that declared dependencies leave out, in a score of several
    stages. Without any declared dependency each stage waits for the one before, voices side
    by side: what a fan-out means, nothing to say."""
    declared = score.model.sheet.dependencies
    stages = max(s.movement for s in score.plan.sheets)
    if not declared or stages < 2:
        return []
    named = set(declared) | {d for deps in declared.values() for d in deps}
    return [stage for stage in fanned if stage not in named]


def _fan_out_place(score: CompiledScore, stage: int) -> tuple[str | int, ...]:
    if stage in score.model.sheet.fan_out:
        return ("sheet", "fan_out", stage)
    return ("movements", stage, "voices")


def _claude_cli(score: CompiledScore) -> Iterator[Diagnostic]:
    if not any(s.instrument == "claude_cli" for s in score.plan.sheets):
        return
    if not score.model.backend.skip_permissions:
        yield finding(
            score,
            ("backend", "skip_permissions"),
            "Claude CLI without skip_permissions will hang waiting for a permission prompt",
            "V204",
            WARNING,
        )
    if not score.model.backend.disable_mcp:
        yield finding(
            score,
            ("backend", "disable_mcp"),
            "Claude CLI without disable_mcp may hang on MCP servers",
            "V209",
            INFO,
        )
