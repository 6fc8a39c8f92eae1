"""`podium instruments list` and `podium instruments check NAME`: the instrument profiles Podium
knows, and whether one can run here.

The profiles' model (pydantic, YAML) is imported when they are read, not when the arguments
are declared: `podium instruments --help` and completion stay fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from podium.cli import conductor_view, exits
from podium.cli.arguments import Formatter
from podium.cli.output import paint, table, use_color
from podium.domain.errors import UserError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.instruments import check
    from podium.instruments.profile import InstrumentProfile
    from podium.instruments.registry import Registry
    from podium.ipc.schema import InstrumentView

NOT_RUNNABLE = 1
"""`check`: the instrument is known but something it needs is missing."""


def declare(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="instruments_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list",
        help="every instrument profile, and whether its program is installed",
        description="Every instrument profile (built-in, yours, the project's) and whether "
        "its program is installed.",
        formatter_class=Formatter,
    )
    checking = sub.add_parser(
        "check",
        help="whether one instrument can run here: program, version, models, credentials",
        description="Whether one instrument can run here: its program and version, models, "
        "credentials, as this shell sees them and, when a conductor runs, as the conductor "
        "does (its own PATH, and the PATH 'podium run' sends; docs/environment.md). Exit "
        "code 0: it can run (on the conductor, when one runs); 1: something is missing; "
        "2: unknown name.",
        formatter_class=Formatter,
    )
    checking.add_argument("name", help="the instrument's name")
    for action in (listing, checking):
        action.add_argument("--json", action="store_true", help="print JSON")
        action.add_argument(
            "--score",
            metavar="FILE",
            help="also see the profiles next to this score (.podium/instruments/)",
        )


def run(args: argparse.Namespace) -> int:
    return list_main(args) if args.instruments_command == "list" else check_main(args)


def list_main(args: argparse.Namespace) -> int:
    registry = _registry(args.score)
    rows = [_summary(registry, registry.profiles[name]) for name in registry.names()]
    if args.json:
        print(json.dumps({"instruments": rows, "problems": list(registry.problems)}, indent=2))
        return exits.OK
    color = use_color()
    plain = [_row(r, color=False) for r in rows]
    print(
        table(
            ("NAME", "DISPLAY NAME", "KIND", "MODELS", "BINARY", "ORIGIN"),
            [_row(r, color) for r in rows],
            widths_from=plain,
        )
    )
    _print_problems(registry.problems, color)
    return exits.OK


def check_main(args: argparse.Namespace) -> int:
    from podium.instruments import check  # noqa: PLC0415 - the profiles' model, to read them

    registry = _registry(args.score)
    profile = registry.require(args.name)
    binary = _binary(profile)
    found = check.report(
        profile,
        registry.origin(profile.name) or "?",
        binary,
        check.read_version(binary) if binary else None,
        os.environ,
    )
    asked = conductor_view.ask([profile], _score_dir(args.score))
    view = asked["instruments"][0] if asked is not None else None
    judged = conductor_view.verdict(view) if view is not None else None
    if args.json:
        print(json.dumps({**_report_json(found), "conductor": _view_json(view, judged)}, indent=2))
    else:
        print(_report_text(found, view, judged, use_color()))
    ready = judged.ready if judged is not None else found.runnable
    return exits.OK if ready else NOT_RUNNABLE


def _score_dir(score: str | None) -> Path | None:
    return Path(os.path.abspath(score)).parent if score else None


def _view_json(
    view: InstrumentView | None, judged: conductor_view.Verdict | None
) -> dict[str, Any] | None:
    if view is None or judged is None:
        return None
    return {**view, "ready": judged.ready, "verdict": judged.text, "fix": judged.fix}


def _registry(score: str | None) -> Registry:
    from podium.instruments.registry import discover  # noqa: PLC0415 - the profiles' model

    if score is None:
        return discover()
    if not os.path.isfile(score):
        raise UserError(
            f"no score at {score}; --score takes the score file whose folder holds "
            ".podium/instruments/"
        )
    return discover(Path(os.path.abspath(score)).parent)


def _binary(profile: InstrumentProfile) -> str | None:
    from podium.instruments import check  # noqa: PLC0415 - the profiles' model

    return check.which(profile.cli.command.executable) if profile.cli is not None else None


def _summary(registry: Registry, profile: InstrumentProfile) -> dict[str, Any]:
    binary = _binary(profile)
    return {
        "name": profile.name,
        "display_name": profile.display_name,
        "kind": profile.kind,
        "description": profile.description,
        "models": [m.name for m in profile.models],
        "default_model": profile.default_model,
        "capabilities": sorted(profile.capabilities),
        "executable": profile.cli.command.executable if profile.cli is not None else None,
        "binary": binary,
        "found": binary is not None,
        "origin": registry.origins[profile.name],
    }


def _row(summary: dict[str, Any], color: bool) -> list[str]:
    found = paint("✓", "green", color) if summary["found"] else paint("✗", "red", color)
    return [
        summary["name"],
        summary["display_name"],
        summary["kind"],
        str(len(summary["models"])),
        f"{found} {summary['executable'] or '-'}",
        summary["origin"],
    ]


def _print_problems(problems: tuple[str, ...], color: bool) -> None:
    if not problems:
        return
    print(file=sys.stderr)
    print(f"{len(problems)} profile problem(s), those files were skipped:", file=sys.stderr)
    for problem in problems:
        print(f"  {paint(problem, 'yellow', color)}", file=sys.stderr)


def _report_json(found: check.CheckReport) -> dict[str, Any]:
    return {
        "name": found.name,
        "display_name": found.display_name,
        "kind": found.kind,
        "origin": found.origin,
        "executable": found.executable,
        "binary": found.binary,
        "version": found.version,
        "models": list(found.models),
        "default_model": found.default_model,
        "capabilities": list(found.capabilities),
        "credentials": list(found.credentials),
        "credentials_set": list(found.credentials_set),
        "runnable": found.runnable,
        "missing": list(found.missing),
        "warnings": list(found.warnings),
    }


def _report_text(
    found: check.CheckReport,
    view: InstrumentView | None,
    judged: conductor_view.Verdict | None,
    color: bool,
) -> str:
    if found.binary:
        binary = f"{found.binary}" + (f" ({found.version})" if found.version else "")
    else:
        binary = paint(f"{found.executable or '-'} not found", "red", color)
    models = (
        ", ".join(f"{m} (default)" if m == found.default_model else m for m in found.models) or "-"
    )
    lines = [
        f"{found.name} ({found.display_name}): {found.kind} instrument, {found.origin}",
        f"  binary:       {binary}",
        f"  models:       {models}",
        f"  capabilities: {', '.join(found.capabilities) or '-'}",
    ]
    if found.credentials:
        shown = ", ".join(found.credentials_set) or "none set"
        lines.append(f"  credentials:  {shown}")
    lines += [f"  missing: {paint(m, 'red', color)}" for m in found.missing]
    lines += [f"  warning: {paint(w, 'yellow', color)}" for w in found.warnings]
    if view is None or judged is None:
        lines.append(f"  conductor:    {conductor_view.LOCAL_ONLY}")
        ready, verdict = found.runnable, "ready to run" if found.runnable else "cannot run here"
    else:
        lines.append(
            f"  conductor:    {paint(judged.text, 'green' if judged.ready else 'red', color)}"
        )
        note = conductor_view.credentials_note(view)
        lines += [f"                {note}"] if note else []
        lines += [f"      → {judged.fix}"] if judged.fix else []
        ready = judged.ready
        verdict = "ready to run on the conductor" if ready else "the conductor cannot run it"
    lines.append(paint(verdict, "green" if ready else "red", color))
    return "\n".join(lines)
