"""Checks of what a score names outside itself: files, folders, sheet numbers, settings.

V002 workspace parent, V004 system prompt file, V005 working directory, V107 checked files,
V108 injected files, V212/V214 sheet keys out of range, P003 instrument settings Podium does
not know, P004 backend settings for another backend, P006 a desktop notification without
notify-send. The instruments themselves are checked in `check_instruments.py`.
"""

import difflib
import shutil
from collections.abc import Iterator
from pathlib import Path

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import ERROR, INFO, WARNING, finding
from podium.score.model import KNOWN_INSTRUMENT_SETTINGS, Injection, InstrumentSettings

LEGACY_BACKENDS = ("claude_cli", "anthropic_api", "ollama", "recursive_light")
_CLAUDE_CLI_FIELDS = (
    "skip_permissions",
    "disable_mcp",
    "output_format",
    "cli_model",
    "allowed_tools",
    "system_prompt_file",
    "cli_extra_args",
)
_API_FIELDS = ("model", "api_key_env", "max_tokens", "temperature")


def references(score: CompiledScore) -> Iterator[Diagnostic]:
    yield from _paths(score)
    yield from _injections(score)
    yield from _sheet_keys(score)
    yield from _instrument_settings(score)
    yield from _backend(score)
    yield from _desktop_notifications(score)


def _paths(score: CompiledScore) -> Iterator[Diagnostic]:
    model, home = score.model, score.path.parent
    parent = score.workspace.parent
    if not parent.is_dir() and not parent.parent.is_dir():
        # An error in Marianne; Podium creates the workspace with its parents when the first
        # sheet runs. One missing level is the usual layout (`./workspaces/NAME` beside a
        # fresh score); a longer chain of folders that do not exist looks like a typo.
        yield finding(
            score,
            ("workspace",),
            f"neither the workspace's parent folder ({parent}) nor its own parent exists "
            "yet; they will be created when the first sheet runs (is the path right?)",
            "V002",
            WARNING,
        )
    prompt_file = model.backend.system_prompt_file
    if prompt_file and not (home / prompt_file).is_file():
        yield finding(
            score,
            ("backend", "system_prompt_file"),
            f"system prompt file not found: {home / prompt_file}",
            "V004",
            ERROR,
        )
    workdir = model.backend.working_directory
    if workdir and not (home / workdir).is_dir():
        yield finding(
            score,
            ("backend", "working_directory"),
            f"working directory does not exist: {home / workdir}",
            "V005",
            ERROR,
        )
    for index, rule in enumerate(model.validations):
        path = rule.path or ""
        reads = rule.type in ("content_contains", "content_regex")
        if reads and "{" not in path and Path(path).is_absolute() and not Path(path).exists():
            yield finding(
                score,
                ("validations", index, "path"),
                f"the file this rule reads does not exist: {path}",
                "V107",
                WARNING,
            )


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
        if not (resolved.is_file() if item.file else resolved.is_dir()):
            kind = "file" if item.file else "folder"
            severity = INFO if item.directory and item.as_ == "context" else WARNING
            yield finding(score, path, f"injected {kind} not found: {resolved}", "V108", severity)


def _sheet_keys(score: CompiledScore) -> Iterator[Diagnostic]:
    sheet, total = score.model.sheet, score.plan.total_sheets
    stages = max((s.movement for s in score.plan.sheets), default=0)
    for name in ("skip_when", "skip_when_command"):
        for key in getattr(sheet, name):
            if key > stages:
                yield finding(
                    score,
                    ("sheet", name, key),
                    f"{name} key {key} is out of range (1-{stages}); it will never apply",
                    "V212",
                    WARNING,
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
                yield finding(
                    score,
                    (block, name, key),
                    f"{name} names sheet {key}, but the score has {total} sheets",
                    "V214",
                    WARNING,
                    key=True,
                )
    for name, nums in sheet.instrument_map.items():
        for index, num in enumerate(nums):
            if num > total:
                yield finding(
                    score,
                    ("sheet", "instrument_map", name, index),
                    f"instrument_map names sheet {num}, but the score has {total} sheets",
                    "V214",
                    WARNING,
                )


def settings_places(score: CompiledScore) -> list[tuple[tuple[str | int, ...], InstrumentSettings]]:
    """Every place in the score where instrument settings are given."""
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
    return places


def _instrument_settings(score: CompiledScore) -> Iterator[Diagnostic]:
    for path, settings in settings_places(score):
        for key in sorted(settings.model_extra or {}):
            if key in KNOWN_INSTRUMENT_SETTINGS:
                continue
            close = difflib.get_close_matches(key, sorted(KNOWN_INSTRUMENT_SETTINGS), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield finding(
                score,
                (*path, key),
                f"'{key}' is not a setting Podium knows; {hint}"
                "it is passed to the instrument as is",
                "P003",
                WARNING,
                key=True,
            )


def _backend(score: CompiledScore) -> Iterator[Diagnostic]:
    backend = score.model.backend
    if backend.type not in LEGACY_BACKENDS:
        yield finding(
            score,
            ("backend", "type"),
            f"backend.type '{backend.type}' is not a "
            "legacy backend; name instruments with 'instrument:' instead",
            "P004",
            WARNING,
        )
    unused = [
        f
        for f in _CLAUDE_CLI_FIELDS
        if backend.type != "claude_cli" and f in backend.model_fields_set
    ]
    unused += [
        f for f in _API_FIELDS if backend.type != "anthropic_api" and f in backend.model_fields_set
    ]
    if unused:
        yield finding(
            score,
            ("backend",),
            f"backend.type is '{backend.type}', so these "
            f"settings for another backend are ignored: {', '.join(sorted(unused))}",
            "P004",
            WARNING,
            key=True,
        )


def _desktop_notifications(score: CompiledScore) -> Iterator[Diagnostic]:
    desktop = [i for i, entry in enumerate(score.model.notifications) if entry.type == "desktop"]
    if not desktop or shutil.which("notify-send") is not None:
        return
    for index in desktop:
        yield finding(
            score,
            ("notifications", index, "type"),
            "desktop notifications need 'notify-send' (libnotify), which is not on the "
            "PATH; the conductor skips them until it is installed",
            "P006",
            WARNING,
        )
