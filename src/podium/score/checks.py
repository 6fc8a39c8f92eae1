"""`podium validate`'s checks beyond the schema, with Marianne's codes and meanings.

Errors (the score cannot run as written): V004 system prompt file missing, V005 working
directory missing, V009 an evolved score still names its previous version, P010 a sheet's
prompt does not render. Warnings: V002 workspace parent missing (an error in Marianne; Podium
creates it), V101 undefined template variable, V103 very short timeout, V107 a checked file that
does not exist, V108 a prelude or cadenza file that does not exist, V201 Jinja in a validation
path, V202 `{var}` in a Jinja template, V203 no validations, V204 Claude CLI without
skip_permissions, V206 fan-out without dependencies, V208 a variable shadowing a built-in, V210
unknown instrument, V211 unknown fallback, V212 skip keys out of range, V214 per-sheet keys out
of range, P003 an instrument setting Podium does not know, P001 accepted but not acted on yet.
Info: V104 very long timeout, V205 only file_exists checks, V207 fan-out without parallel, V209
Claude CLI without disable_mcp, P002 a key with no effect.
"""

import difflib
import re
from collections.abc import Collection, Iterator
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from podium.score.acted_on import not_acted_on
from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic, ScoreError, Severity
from podium.score.model import KNOWN_INSTRUMENT_SETTINGS, Injection, InstrumentSettings
from podium.score.variables import BUILTINS, PROMPT_ONLY

W, INFO, E = Severity.WARNING, Severity.INFO, Severity.ERROR
JINJA_GLOBALS = frozenset(
    {"loop", "self", "range", "dict", "lipsum", "cycler", "joiner", "namespace"}
)
LONG_TIMEOUT_SECONDS = 7200
SHORT_TIMEOUT_SECONDS = 60


def check(score: CompiledScore, known_instruments: Collection[str]) -> list[Diagnostic]:
    """Every finding for a score that compiled, most severe first."""
    found = [
        *_paths(score),
        *_version_references(score),
        *_rendering(score),
        *_template_variables(score),
        *_timeouts(score),
        *_validations(score),
        *_fan_out(score),
        *_claude_cli(score),
        *_instruments(score, known_instruments),
        *_sheet_keys(score),
        *_instrument_settings(score),
        *not_acted_on(score.model, score.source),
    ]
    order = {E: 0, W: 1, INFO: 2}
    return sorted(found, key=lambda d: (order[d.severity], d.line, d.column))


def _d(
    score: CompiledScore,
    path: tuple[str | int, ...],
    message: str,
    code: str,
    severity: Severity,
    *,
    key: bool = False,
) -> Diagnostic:
    return score.source.diagnostic(path, message, key=key, code=code, severity=severity)


def _paths(score: CompiledScore) -> Iterator[Diagnostic]:
    model, home = score.model, score.path.parent
    if not score.workspace.parent.is_dir():
        yield _d(
            score,
            ("workspace",),
            f"the workspace's parent folder does not exist yet: {score.workspace.parent}; "
            "it will be created when the first sheet runs",
            "V002",
            W,
        )
    prompt_file = model.backend.system_prompt_file
    if prompt_file and not (home / prompt_file).is_file():
        yield _d(
            score,
            ("backend", "system_prompt_file"),
            f"system prompt file not found: {home / prompt_file}",
            "V004",
            E,
        )
    workdir = model.backend.working_directory
    if workdir and not (home / workdir).is_dir():
        yield _d(
            score,
            ("backend", "working_directory"),
            f"working directory does not exist: {home / workdir}",
            "V005",
            E,
        )
    for index, rule in enumerate(model.validations):
        if (
            rule.type in ("content_contains", "content_regex")
            and rule.path
            and "{" not in rule.path
            and Path(rule.path).is_absolute()
            and not Path(rule.path).exists()
        ):
            yield _d(
                score,
                ("validations", index, "path"),
                f"the file this rule reads does not exist: {rule.path}",
                "V107",
                W,
            )
    yield from _injections(score)


def _injections(score: CompiledScore) -> Iterator[Diagnostic]:
    sheet, home = score.model.sheet, score.path.parent
    items: list[tuple[tuple[str | int, ...], Injection]] = [
        (("sheet", "prelude", i), item) for i, item in enumerate(sheet.prelude)
    ]
    items += [
        (("sheet", "cadenzas", n, i), item)
        for n, group in sheet.cadenzas.items()
        for i, item in enumerate(group)
    ]
    for path, item in items:
        target = item.file or item.directory or ""
        if "{{" in target or "{%" in target:
            continue  # rendered when the sheet runs
        resolved = home / target
        exists = resolved.is_file() if item.file else resolved.is_dir()
        if not exists:
            kind = "file" if item.file else "folder"
            severity = INFO if item.directory and item.as_ == "context" else W
            yield _d(score, path, f"injected {kind} not found: {resolved}", "V108", severity)


def _version_references(score: CompiledScore) -> Iterator[Diagnostic]:
    match = re.search(r"-v(\d+)\.ya?ml$", score.path.name)
    if match is None or int(match.group(1)) < 2:
        return
    version = int(match.group(1))
    previous = f"v{version - 1}"
    if f"-{previous}" in score.model.name:
        yield _d(
            score,
            ("name",),
            f"the name '{score.model.name}' refers to {previous}, but this file is v{version}",
            "V009",
            E,
        )
    if f"-{previous}" in score.model.workspace or f"{previous}/" in score.model.workspace:
        yield _d(
            score,
            ("workspace",),
            f"the workspace refers to {previous}, but this file is v{version}",
            "V009",
            E,
        )


def _rendering(score: CompiledScore) -> Iterator[Diagnostic]:
    try:
        score.check()
    except ScoreError as exc:
        for diagnostic in exc.diagnostics:
            yield Diagnostic(
                diagnostic.file,
                diagnostic.line,
                diagnostic.column,
                diagnostic.path,
                diagnostic.message,
                "P010",
                E,
            )


def _template_variables(score: CompiledScore) -> Iterator[Diagnostic]:
    template = score.template_source
    prompt = score.model.prompt
    if template is None:
        return
    user = {str(k) for k in prompt.variables}
    try:
        tree = SandboxedEnvironment().parse(template.text)
    except TemplateSyntaxError:
        return  # reported by the compiler already
    # Names the template binds itself ({% set %}, {% for %}, macros) are not undefined, even
    # where Jinja's own analysis cannot be sure a branch bound them.
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    known = set(BUILTINS) | set(PROMPT_ONLY) | user | JINJA_GLOBALS | bound
    used = meta.find_undeclared_variables(tree)
    for name in sorted(used - known):
        close = difflib.get_close_matches(name, sorted(known - JINJA_GLOBALS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; define it in prompt.variables"
        yield _d(score, ("prompt", "template"), f"undefined variable '{name}'{hint}", "V101", W)
    for name in sorted(user & set(BUILTINS)):
        yield _d(
            score,
            ("prompt", "variables", name),
            f"the variable '{name}' shadows the built-in {name} in prompts",
            "V208",
            W,
            key=True,
        )
    if prompt.template is not None:
        for name in sorted(
            set(re.findall(r"(?<!\{)\{([a-z_]+)\}(?!\})", prompt.template)) & set(BUILTINS)
        ):
            yield _d(
                score,
                ("prompt", "template"),
                f"'{{{name}}}' in the template is Python "
                f"format syntax; Jinja writes '{{{{ {name} }}}}'",
                "V202",
                W,
            )


def _timeouts(score: CompiledScore) -> Iterator[Diagnostic]:
    short = [s for s in score.plan.sheets if s.timeout_seconds < SHORT_TIMEOUT_SECONDS]
    long = [s for s in score.plan.sheets if s.timeout_seconds > LONG_TIMEOUT_SECONDS]
    if short:
        yield _d(
            score,
            ("instrument_config", "timeout_seconds"),
            f"a very short timeout ({short[0].timeout_seconds:g}s, sheet "
            f"{_list(s.num for s in short)}) may stop work that was going fine",
            "V103",
            W,
        )
    if long:
        hours = long[0].timeout_seconds / 3600
        yield _d(
            score,
            ("instrument_config", "timeout_seconds"),
            f"a very long timeout ({hours:.1f}h, sheet {_list(s.num for s in long)}): is "
            "it needed?",
            "V104",
            INFO,
        )


def _validations(score: CompiledScore) -> Iterator[Diagnostic]:
    rules = score.model.validations
    if not rules:
        yield _d(
            score, (), "no validations: any sheet whose process exits 0 counts as done", "V203", W
        )
    elif all(r.type == "file_exists" for r in rules):
        yield _d(
            score,
            ("validations",),
            "all validations are file_exists: files left by an earlier run will pass them",
            "V205",
            INFO,
            key=True,
        )
    for index, rule in enumerate(rules):
        if rule.path and "{{" in rule.path:
            yield _d(
                score,
                ("validations", index, "path"),
                "Jinja syntax in a validation path: write {workspace}, not {{ workspace }}",
                "V201",
                W,
            )


def _fan_out(score: CompiledScore) -> Iterator[Diagnostic]:
    fans = any(s.voice_count > 1 for s in score.plan.sheets)
    if not fans:
        return
    if not score.model.sheet.dependencies:
        yield _d(
            score,
            ("sheet", "fan_out"),
            "fan-out without dependencies: stages run one after another as a chain",
            "V206",
            W,
            key=True,
        )
    if not score.model.parallel.enabled:
        yield _d(
            score,
            ("sheet", "fan_out"),
            "fan-out with parallel off: the instances run one at a time",
            "V207",
            INFO,
            key=True,
        )


def _claude_cli(score: CompiledScore) -> Iterator[Diagnostic]:
    if not any(s.instrument == "claude_cli" for s in score.plan.sheets):
        return
    if not score.model.backend.skip_permissions:
        yield _d(
            score,
            ("backend", "skip_permissions"),
            "Claude CLI without skip_permissions will hang waiting for a permission prompt",
            "V204",
            W,
        )
    if not score.model.backend.disable_mcp:
        yield _d(
            score,
            ("backend", "disable_mcp"),
            "Claude CLI without disable_mcp may hang on MCP servers",
            "V209",
            INFO,
        )


def _instruments(score: CompiledScore, known: Collection[str]) -> Iterator[Diagnostic]:
    model = score.model
    names = set(known) | set(model.instruments)
    uses: list[tuple[tuple[str | int, ...], str, str]] = []
    if model.instrument:
        uses.append((("instrument",), model.instrument, "V210"))
    uses += [
        (("instruments", a, "profile"), d.profile, "V210") for a, d in model.instruments.items()
    ]
    uses += [
        (("movements", n, "instrument"), m.instrument, "V210")
        for n, m in model.movements.items()
        if m.instrument
    ]
    uses += [
        (("sheet", "per_sheet_instruments", n), name, "V210")
        for n, name in model.sheet.per_sheet_instruments.items()
    ]
    uses += [
        (("sheet", "instrument_map", name), name, "V210") for name in model.sheet.instrument_map
    ]
    uses += [
        (("instrument_fallbacks", i), name, "V211")
        for i, name in enumerate(model.instrument_fallbacks)
    ]
    uses += [
        (("movements", n, "instrument_fallbacks", i), name, "V211")
        for n, m in model.movements.items()
        for i, name in enumerate(m.instrument_fallbacks)
    ]
    uses += [
        (("sheet", "per_sheet_fallbacks", n, i), name, "V211")
        for n, chain in model.sheet.per_sheet_fallbacks.items()
        for i, name in enumerate(chain)
    ]
    for path, name, code in uses:
        if name not in names and not (path[0] == "instruments" and name in known):
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = (
                f"; did you mean '{close[0]}'?"
                if close
                else (f"; known: {', '.join(sorted(known))}")
            )
            yield _d(
                score,
                path,
                f"unknown instrument '{name}'{hint}",
                code,
                W,
                key=path[-2:-1] == ("instrument_map",),
            )


def _sheet_keys(score: CompiledScore) -> Iterator[Diagnostic]:
    sheet, total = score.model.sheet, score.plan.total_sheets
    stages = max((s.movement for s in score.plan.sheets), default=0)
    for name in ("skip_when", "skip_when_command"):
        for key in getattr(sheet, name):
            if key > stages:
                yield _d(
                    score,
                    ("sheet", name, key),
                    f"{name} key {key} is out of range (1-{stages}); it will never apply",
                    "V212",
                    W,
                    key=True,
                )
    keyed = [
        ("sheet", name)
        for name in (
            "descriptions",
            "cadenzas",
            "per_sheet_instruments",
            "per_sheet_instrument_config",
            "per_sheet_fallbacks",
            "prompt_extensions",
            "spec_tags",
        )
    ]
    keyed += [("backend", "timeout_overrides"), ("backend", "sheet_overrides")]
    for block, name in keyed:
        for key in getattr(getattr(score.model, block), name):
            if key > total:
                yield _d(
                    score,
                    (block, name, key),
                    f"{name} names sheet {key}, but the score has {total} sheets",
                    "V214",
                    W,
                    key=True,
                )
    for name, nums in sheet.instrument_map.items():
        for index, num in enumerate(nums):
            if num > total:
                yield _d(
                    score,
                    ("sheet", "instrument_map", name, index),
                    f"instrument_map names sheet {num}, but the score has {total} sheets",
                    "V214",
                    W,
                )


def _instrument_settings(score: CompiledScore) -> Iterator[Diagnostic]:
    model = score.model
    places: list[tuple[tuple[str | int, ...], InstrumentSettings]] = [
        (("instrument_config",), model.instrument_config)
    ]
    places += [(("instruments", a, "config"), d.config) for a, d in model.instruments.items()]
    places += [
        (("movements", n, "instrument_config"), m.instrument_config)
        for n, m in model.movements.items()
    ]
    places += [
        (("sheet", "per_sheet_instrument_config", n), c)
        for n, c in model.sheet.per_sheet_instrument_config.items()
    ]
    for path, settings in places:
        for key in sorted(settings.model_extra or {}):
            close = difflib.get_close_matches(key, sorted(KNOWN_INSTRUMENT_SETTINGS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield _d(
                score,
                (*path, key),
                f"'{key}' is not a setting Podium knows; {hint}it is "
                "passed to the instrument as is",
                "P003",
                W,
                key=True,
            )


def _list(nums: Iterator[int]) -> str:
    items = list(nums)
    shown = ", ".join(str(n) for n in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")
