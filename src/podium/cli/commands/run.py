"""`podium run SCORE`: check the score here, submit it to the conductor, maybe follow it.

With `--dry-run`, nothing is submitted: the plan is shown (and with `--show-prompts`, every
sheet's prompt, layer by layer with where each came from, credentials masked), no conductor
needed.

The score model (pydantic, Jinja, YAML) is imported when a score is run, not when the
arguments are declared: `podium run --help` and completing a file name stay fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client, ensure_running
from podium.cli.errors import unanswered
from podium.cli.follow import follow
from podium.cli.output import use_color
from podium.cli.score_report import issues_text, plan_json, plan_table
from podium.domain.errors import UserError
from podium.host.locations import locate
from podium.ipc.client import AnswerLost, ConductorClient, RemoteError
from podium.ipc.methods import JOB_SUBMIT
from podium.redact import Redactor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.domain.ids import SheetNum
    from podium.instruments.profile import InstrumentProfile
    from podium.instruments.registry import Registry
    from podium.ipc.schema import SubmitParams, SubmitResult
    from podium.score.assembly import Layer
    from podium.score.compiled import CompiledScore
    from podium.score.diagnostics import Diagnostic


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("score", help="the score file, or a fleet file (type: fleet; docs/fleets.md)")
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="show the plan (sheets, instruments, dependencies; for a fleet, its groups in "
        "order) and submit nothing",
    )
    p.add_argument(
        "--show-prompts",
        action="store_true",
        help="with --dry-run: also render every sheet's prompt, each layer headed by its origin",
    )
    wait = p.add_mutually_exclusive_group()
    wait.add_argument(
        "--wait",
        dest="wait",
        action="store_true",
        default=None,
        help="follow the job (or every job of the fleet) until it ends (the default on a terminal)",
    )
    wait.add_argument(
        "--no-wait",
        "--detach",
        dest="wait",
        action="store_false",
        help="submit and return at once (the default when not on a terminal)",
    )
    p.add_argument(
        "--start-sheet",
        "-s",
        type=int,
        default=1,
        metavar="N",
        help="skip the sheets before sheet N (they count as done for dependencies)",
    )
    p.add_argument(
        "--workspace",
        "-w",
        metavar="DIR",
        help="run in this folder instead of the score's workspace (created if missing; the job "
        "keeps it through resume and modify)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="archive the workspace's previous contents first (the score's "
        "workspace_lifecycle says where); without archive_on_fresh it is left as it is",
    )
    p.add_argument(
        "--rehearse",
        action="store_true",
        help="play every sheet with the fake agent (podium-fake-agent --satisfy), which writes "
        "what the sheet's file and content checks ask, instead of the instruments the score "
        "names; the score file is not changed and no model is contacted. The checks it cannot "
        "satisfy (command_succeeds) are listed first: their sheets fail unless the command "
        "passes as things are. With --dry-run: "
        "the plan of the rehearsal",
    )
    p.add_argument(
        "--no-start",
        action="store_true",
        help="fail instead of starting the conductor when it is not running",
    )
    p.add_argument(
        "--conductor-env",
        action="store_true",
        help="run the job with the conductor's environment alone; by default the submission "
        "carries this shell's PATH and the variables its instruments ask for "
        "(docs/environment.md)",
    )
    p.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="name this submission, so that running it again with the same KEY gives back the "
        "job (or fleet) accepted then instead of a second one (safe to retry after the "
        "conductor gave no answer, exit code 6); default: a fresh key each run",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the submission (or with --dry-run, the plan) as JSON",
    )


def run(args: argparse.Namespace) -> int:
    from podium.cli import carry, fleet_run  # noqa: PLC0415 - the score model, to run only
    from podium.score.compiled import load_score  # noqa: PLC0415
    from podium.score.fleet import is_fleet_file  # noqa: PLC0415

    if args.show_prompts and not args.dry_run:
        raise UserError("--show-prompts goes with --dry-run")
    path = Path(args.score).absolute()
    if is_fleet_file(path):
        if args.rehearse:
            raise UserError(
                f"--rehearse runs a score, and {args.score} is a fleet; rehearse its scores "
                "one by one"
            )
        return fleet_run.run(args, path)
    workspace = _workspace(args.workspace)
    score = load_score(path, workspace, rehearsal=args.rehearse)
    registry = _may_run(args, score)
    if registry is None:
        return exits.USER
    if not 1 <= args.start_sheet <= score.plan.total_sheets:
        raise UserError(
            f"--start-sheet {args.start_sheet}: the score has sheets 1 to {score.plan.total_sheets}"
        )
    if args.rehearse:
        _tell_unsatisfiable(score)
    if args.dry_run:
        return _dry_run(args, score)
    return _submit(args, path, workspace, score.plan.name, carry.score_profiles(score, registry))


def _may_run(args: argparse.Namespace, score: CompiledScore) -> Registry | None:
    """Whether the score may be submitted, as the conductor will judge it (`stops_a_run`),
    or with `--dry-run` shown (only errors stop that): the findings that stop it are printed
    as errors, the warnings as warnings. The instruments it may run with, or None."""
    from podium.instruments.registry import discover  # noqa: PLC0415 - the score model
    from podium.score.check_instruments import MARIANNE_HTTP  # noqa: PLC0415
    from podium.score.checks import check, stops_a_run  # noqa: PLC0415
    from podium.score.diagnostics import Severity  # noqa: PLC0415

    registry = discover(score.path.parent)
    found = check(score, registry.names(), registry.problems, registry.takes_mcp)
    color = use_color(sys.stderr)

    def stops(found: Diagnostic) -> bool:
        if args.dry_run:
            return found.severity is Severity.ERROR
        return stops_a_run(found, rehearsal=args.rehearse)

    refused = [replace(d, severity=Severity.ERROR) for d in found if stops(d)]
    if refused:
        for line in issues_text(refused, color):
            print(line, file=sys.stderr)
        print(
            f"podium: {score.path.name} cannot run; 'podium validate {args.score}' shows every "
            "finding",
            file=sys.stderr,
        )
        return None
    for line in issues_text([d for d in found if d.severity is Severity.WARNING], color):
        print(line, file=sys.stderr)
    for name in sorted({f for s in score.plan.sheets for f in s.fallbacks}):
        # An unknown fallback was warned about (V211); Marianne's HTTP ones are expected.
        if name in MARIANNE_HTTP and registry.get(name) is None:
            print(
                f"podium: note: fallback instrument '{name}' has no profile here; "
                "sheets will not fall back to it",
                file=sys.stderr,
            )
    return registry


def _tell_unsatisfiable(score: CompiledScore) -> None:
    """Before a rehearsal: the checks the fake agent cannot satisfy, sheet by sheet, on
    stderr (their sheets fail, unless a command passes as things are)."""
    from podium.score.rehearsal import unsatisfiable  # noqa: PLC0415 - the score model

    found = [
        (s.num, rule) for s in score.plan.sheets for rule in unsatisfiable(score.validations(s.num))
    ]
    if not found:
        print("rehearsal: the fake agent can satisfy every check of this score", file=sys.stderr)
        return
    sheets = len({num for num, _ in found})
    print(
        f"rehearsal: the fake agent cannot satisfy {len(found)} check(s) (it runs no command): "
        f"{sheets} sheet(s) will fail, unless their commands pass as things are:",
        file=sys.stderr,
    )
    redact = Redactor(os.environ)  # a command check may spell out a credential
    redact.learn(score.model.prompt.variables)
    for num, rule in found:
        print(f"  sheet {num}: {redact(rule.summary())}", file=sys.stderr)


def _workspace(given: str | None) -> str | None:
    """The absolute folder of `--workspace`: it may not exist yet (it is created), but it
    cannot be a file."""
    if given is None:
        return None
    folder = Path(given).absolute()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--workspace {given}: {folder} is a file, not a folder")
    return str(folder)


def _dry_run(args: argparse.Namespace, score: CompiledScore) -> int:
    from podium.instruments.registry import discover  # noqa: PLC0415 - the score model
    from podium.score.compiled import rule_counts  # noqa: PLC0415

    counts = rule_counts(score)
    prompts: dict[int, list[Layer]] | None = None
    if args.show_prompts:
        registry = discover(score.path.parent)
        # Masked as the conductor masks the prompts it keeps: a terminal is scrollback, a
        # screen share, a CI log.
        redact = Redactor(os.environ)
        redact.learn(score.model.prompt.variables)
        prompts = {
            int(s.num): [
                replace(layer, text=redact(layer.text))
                for layer in _prompt_layers(score, registry, s.num)
                if layer.text
            ]
            for s in score.plan.sheets
        }
    if args.json:
        print(json.dumps(plan_json(score, counts, prompts), indent=2))
        return exits.OK
    print(f"{score.plan.name}: {score.plan.total_sheets} sheet(s), workspace {score.workspace}")
    print(plan_table(score, counts))
    for num, parts in (prompts or {}).items():
        print(f"\n--- sheet {num} prompt ---")
        for layer in parts:
            print(f"[{layer.name}: {layer.origin}]")
            print(layer.text.rstrip("\n"))
    return exits.OK


def _prompt_layers(score: CompiledScore, registry: Registry, num: SheetNum) -> list[Layer]:
    """The layers of the prompt a first attempt would receive (earlier sheets' outputs and
    failures are not known yet)."""
    from podium.score.assembly import AttemptContext, layers  # noqa: PLC0415 - the score model

    profile = registry.get(score.plan.sheets[num - 1].instrument)
    return layers(score, num, AttemptContext(), raw=profile.raw_prompt if profile else False)


def _found_here(profiles: list[InstrumentProfile]) -> None:
    """After a refusal of a job run with the conductor's environment: where this shell finds
    the programs the conductor lacks."""
    from podium.instruments.check import which  # noqa: PLC0415 - the score model

    for profile in profiles:
        executable = profile.cli.command.executable if profile.cli is not None else None
        found = which(executable) if executable else None
        if found is not None:
            print(
                f"podium: note: this shell finds '{executable}' at {found}; without "
                "--conductor-env, 'podium run' sends this shell's PATH with the job",
                file=sys.stderr,
            )


def _carry(
    conductor: ConductorClient, params: SubmitParams, profiles: list[InstrumentProfile]
) -> None:
    """This shell's PATH and its instruments' variables, with the submission."""
    from podium.cli import carry  # noqa: PLC0415 - the profiles

    environment = carry.sent(profiles, carry.policy(conductor))
    if environment is not None:
        params["environment"] = environment


def _notes(args: argparse.Namespace, submitted: SubmitResult, key: str) -> None:
    """What the conductor did besides taking the job, on stderr."""
    job_id = submitted["job_id"]
    if submitted.get("duplicate"):
        print(
            f"idempotency key {key} was used before: job {job_id} is the one submitted "
            "then; nothing new was submitted",
            file=sys.stderr,
        )
    changed_since = submitted.get("changed_since")
    if changed_since:
        print(
            f"the score changed since job {changed_since} completed: running it fresh",
            file=sys.stderr,
        )
    archived = submitted.get("archived")
    if args.fresh or archived:
        print(
            f"archived the workspace's previous contents to {archived}"
            if archived
            else "--fresh: nothing archived (the score does not set "
            "workspace_lifecycle.archive_on_fresh, or the workspace was empty)",
            file=sys.stderr,
        )


def _tell(args: argparse.Namespace, submitted: SubmitResult, key: str, name: str) -> None:
    """The submission: as JSON, or the job and what else the conductor did."""
    if args.json:
        print(json.dumps(submitted))
        return
    _notes(args, submitted, key)
    job_id = submitted["job_id"]
    print(
        f"job {job_id} submitted: {submitted['total_sheets']} sheet(s), "
        f"workspace {submitted['workspace']}"
    )
    if name != Path(args.score).stem:
        # Users name a job by its score's `name:`; the conductor by the file.
        print(f"job id: {job_id} (the file's name; the score's name: is '{name}')")


def _submit(
    args: argparse.Namespace,
    path: Path,
    workspace: str | None,
    name: str,
    profiles: list[InstrumentProfile],
) -> int:
    key = args.idempotency_key or uuid.uuid4().hex
    params: SubmitParams = {
        "score_path": str(path),
        "client_cwd": os.getcwd(),
        "start_sheet": args.start_sheet,
        "fresh": args.fresh,
        "idempotency_key": key,
    }
    if args.rehearse:
        params["rehearse"] = True
    if workspace:
        params["workspace"] = workspace
    locations = ensure_running(locate(), no_start=args.no_start)
    with client(locations) as conductor:
        if not args.conductor_env:
            _carry(conductor, params, profiles)
        try:
            submitted = conductor.request(JOB_SUBMIT(params))
        except RemoteError:
            if args.conductor_env:
                _found_here(profiles)
            raise
        except AnswerLost as lost:
            print(
                f"podium: the conductor {unanswered(lost)}; the job may have been "
                f"accepted: run 'podium status {path.stem}' to see (or run this again with "
                f"--idempotency-key {key}, which submits it only if it was not)",
                file=sys.stderr,
            )
            return exits.ANSWER_LOST
        job_id = submitted["job_id"]
        _tell(args, submitted, key, name)
        wait = args.wait if args.wait is not None else sys.stdout.isatty()
        if not wait:
            return exits.OK
        try:
            return follow(conductor, job_id, color=use_color())
        except KeyboardInterrupt:
            print(
                f"\nstopped following; job {job_id} goes on (podium status {job_id})",
                file=sys.stderr,
            )
            return exits.INTERRUPTED
