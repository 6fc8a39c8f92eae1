"""A compiled score played on instruments: for each attempt of a sheet, the command line, the
environment, the prompt, and how to read what the instrument printed.

This is where the score reader and the instrument profiles meet, so only the composition root
(`podium.conductor.daemon`) uses it; the runtime sees the result through its `CompiledJob` port.

The score reader (its models, Jinja) is imported when the first score is compiled, not when the
conductor starts: a conductor with nothing to recover answers without ever loading it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from podium.domain.environment import joined
from podium.domain.errors import UserError
from podium.domain.ids import SheetNum
from podium.domain.isolation import Isolation
from podium.domain.notices import Channel, Notification, split_urls
from podium.domain.plan import JobPlan
from podium.domain.records import Carried, Usage
from podium.domain.shell import ShellCommand
from podium.domain.validation import ValidationKind, ValidationRule
from podium.domain.work import (
    AttemptRequest,
    OutputReading,
    ReviewRequest,
    ReviewWork,
    SheetWork,
)
from podium.host.bounded import PROMPT_FILE_MAX_BYTES, RefusedFile, read_user_text
from podium.instruments import cli as cli_instrument
from podium.instruments.command import CONNECTION_SETTINGS, build_invocation, choose_model
from podium.instruments.environment import ALWAYS, abbreviated, carried, overlaid, wanted
from podium.instruments.output import estimate_cost, parse_output
from podium.instruments.profile import InstrumentProfile
from podium.instruments.registry import Registry, discover
from podium.runtime.worktrees.archive import ArchivePolicy


@dataclass(frozen=True, slots=True)
class EnvironmentPolicy:
    """conductor.yaml's `environment`: whether jobs take their client's environment, and the
    names (or `PREFIX_*`) that travel besides what the instruments ask for."""

    from_client: bool = True
    passed: tuple[str, ...] = ()


TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.score.compiled import CompiledScore


def which(executable: str, path: str | None = None) -> str | None:
    """An executable on `path` (default: the conductor's PATH), or beside the running Python
    (tools installed with Podium)."""
    found = shutil.which(executable, path=path)
    if found is not None:
        return found
    sibling = Path(sys.executable).parent / executable
    return str(sibling) if os.access(sibling, os.X_OK) and sibling.is_file() else None


def search_path(environment: Carried | None) -> str:
    """The PATH an attempt's program is looked up on: the carried one first (the shell that
    submitted the job), then the conductor's own."""
    own = os.environ.get(ALWAYS, os.defpath)
    sent = dict(environment or ()).get(ALWAYS)
    return joined(sent, own) if sent else own


Connections = Callable[[str], Mapping[str, str]]
"""The conductor's `base_url` and `config_file` for an instrument, by its name."""


class ScoreJob:
    """A compiled score with the instruments it can play: the work for each sheet of a job.

    A queued job may `release` its compiled score (the models and templates, most of its
    memory): what it is known by stays, and the score is compiled again from its snapshot
    when the job needs it to run.
    """

    def __init__(
        self,
        score: CompiledScore,
        registry: Registry,
        snapshot: str | None = None,
        connections: Connections | None = None,
        environment: Carried | None = None,
        *,
        programs_elsewhere: bool = False,
    ) -> None:
        self._score: CompiledScore | None = score
        self._environment = environment
        self._programs_elsewhere = programs_elsewhere
        """Attempts run on other machines, which look their program up themselves."""
        self._registry = registry
        self._connections = connections
        self._plan = playable(score.plan, registry)
        self._path = score.path
        self._workspace = score.workspace
        self._workspace_override = score.workspace_override
        self._rehearsal = score.rehearsal
        self._isolation = score.isolation
        self._notifications = score.notifications
        self._archive_policy = _archive_policy(score)
        self._snapshot = snapshot
        """Frozen on first need, or the one the score was thawed from."""

    def release(self) -> None:
        if self._score is not None:
            self._snapshot = self.snapshot
            self._score = None

    def _compiled(self) -> CompiledScore:
        if self._score is None:
            from podium.score.snapshot import thaw  # noqa: PLC0415 - see the module's docstring

            assert self._snapshot is not None
            self._score = thaw(self._snapshot, self._path)
        return self._score

    @property
    def plan(self) -> JobPlan:
        return self._plan

    def prompt_text(self, num: SheetNum) -> str:
        """The sheet's rendered prompt template ("" when it does not render)."""
        return self._compiled().prompt_or_nothing(num)

    @property
    def environment(self) -> Carried | None:
        return self._environment

    @property
    def workspace(self) -> Path:
        return self._workspace

    @property
    def workspace_override(self) -> str | None:
        return self._workspace_override

    @property
    def rehearsal(self) -> bool:
        return self._rehearsal

    @property
    def snapshot(self) -> str:
        if self._snapshot is None:
            from podium.score.snapshot import freeze  # noqa: PLC0415 - see the module's docstring

            self._snapshot = freeze(self._compiled())
        return self._snapshot

    def work(self, sheet: SheetNum, prompt_file: Path, request: AttemptRequest) -> SheetWork:
        from podium.score.assembly import (  # noqa: PLC0415 - see the module's docstring
            AttemptContext,
            assemble,
            techniques_for,
        )
        from podium.score.feedback import feedback_json  # noqa: PLC0415 - see the docstring

        score = self._compiled()
        profile = self._registry.require(request.instrument)
        settings = dict(score.sheet(sheet).casting.config)
        raw = profile.raw_prompt
        prompt = assemble(
            score,
            sheet,
            AttemptContext(
                attempt=request.attempt,
                completion_of=request.completion_of,
                previous_error=request.previous_error,
                person_prompt=request.person_prompt,
                replace_prompt=request.replace_prompt,
                output_of=request.output_of,
                skipped=request.skipped() if score.model.cross_sheet else frozenset(),
                lessons=request.lessons,
            ),
            raw=raw,
        )
        # A fallback instrument plays its own default model, not the planned one.
        planned = request.instrument == score.sheet(sheet).casting.instrument
        model = choose_model(profile, settings if planned else {}, request.model)
        settings = self._connected(request.instrument, settings, planned, score)
        cwd = score.working_directory(sheet)
        invocation = build_invocation(
            profile,
            prompt=prompt,
            prompt_file=prompt_file,
            model=model,
            timeout_seconds=score.sheet(sheet).timeout_seconds,
            working_dir=cwd,
            settings=settings,
            parent_env=self.parent_env(),
            which=self._which,
            system_prompt=_system_prompt(score, settings),
            mcp_servers={
                t.name: t.server for t in techniques_for(score, sheet) if t.server is not None
            },
        )
        own = cli_instrument.environment(request.completion_of)
        env = {**invocation.env, **own}
        carried = dict(self._environment or ())
        return SheetWork(
            argv=invocation.argv,
            cwd=str(cwd),
            prompt=prompt,
            env=env,
            env_decided=tuple(
                sorted(name for name in {*invocation.decided, *own, *carried} if name in env)
            ),
            env_passed=profile.cli.command.required_env if profile.cli else None,
            prompt_on_stdin=invocation.prompt_on_stdin,
            patterns=profile.error_patterns().merged(score.plan.patterns),
            success_codes=frozenset(profile.cli.errors.success_exit_codes)
            if profile.cli
            else frozenset({0}),
            read_output=output_reader(profile, model),
            read_feedback=functools.partial(feedback_json, config=score.model.feedback),
        )

    def review(self, sheet: SheetNum, request: ReviewRequest) -> ReviewWork | None:
        from podium.score.review import review_prompt  # noqa: PLC0415 - see the docstring

        score = self._compiled()
        config = score.model.ai_review
        if not config.enabled:
            return None
        instrument = config.instrument or score.sheet(sheet).casting.instrument
        profile = self._registry.require(instrument)
        settings = self._connected(instrument, dict(config.instrument_config), True, score)
        model = choose_model(profile, settings, config.model)
        prompt = review_prompt(score, sheet, request.task, request.answer, request.results)
        invocation = build_invocation(
            profile,
            prompt=prompt,
            prompt_file=request.prompt_file,
            model=model,
            timeout_seconds=config.timeout_seconds,
            working_dir=score.workspace,
            settings=settings,
            parent_env=self.parent_env(),
            which=self._which,
        )
        low = config.on_low_score
        rule = ValidationRule(
            ValidationKind.AI_REVIEW,
            description=f"AI review by {instrument}",
            pattern=str(config.min_score),
            advisory=low == "warn",
            # Retried while reviews may still ask for it; after that, a low score is final.
            fatal=low == "fail"
            or (low == "retry" and request.attempt > config.max_retry_for_review),
        )
        work = SheetWork(
            argv=invocation.argv,
            cwd=str(score.workspace),
            prompt=prompt,
            env=invocation.env,
            prompt_on_stdin=invocation.prompt_on_stdin,
            read_output=output_reader(profile, model),
        )
        return ReviewWork(
            work, rule, config.target_score, instrument, model, config.timeout_seconds
        )

    def _connected(
        self, instrument: str, settings: dict[str, Any], planned: bool, score: CompiledScore
    ) -> dict[str, Any]:
        """`settings` with `base_url` and `config_file` as the sheet gives them (a relative
        config file is in the score's folder), else as the conductor's configuration gives
        them for the instrument, when its profile can take them. A fallback instrument keeps
        the sheet's other settings but never the connection meant for the planned one."""
        merged = {k: v for k, v in settings.items() if k not in CONNECTION_SETTINGS}
        defaults = self._connections(instrument) if self._connections else {}
        cli = self._registry.require(instrument).cli
        for key in CONNECTION_SETTINGS:
            own = settings.get(key) if planned else None
            if own:
                merged[key] = (
                    str(score.path.parent / Path(str(own)).expanduser())
                    if key == "config_file"
                    else own
                )
            elif defaults.get(key) and cli is not None and getattr(cli.command, key) is not None:
                # The conductor's setting goes to the instruments that can take it; the
                # others are warned about once, at start (`unroutable`).
                merged[key] = defaults[key]
        return merged

    def parent_env(self) -> dict[str, str]:
        """The environment an attempt starts from: the conductor's, with the job's carried
        variables over it and PATH searching the carried folders first."""
        if not self._environment:
            return dict(os.environ)
        return {**overlaid(os.environ, dict(self._environment)), ALWAYS: self._search_path()}

    def _search_path(self) -> str:
        return search_path(self._environment)

    def _which(self, executable: str) -> str | None:
        """Where an instrument's program is here; with programs elsewhere, its name when it is
        not here (the machine that runs the attempt looks it up)."""
        found = which(executable, path=self._search_path())
        return executable if found is None and self._programs_elsewhere else found

    def _laid_over(self) -> tuple[tuple[str, str], ...]:
        """The carried variables as a check's command gets them (PATH as attempts search)."""
        pairs = dict(self._environment or ())
        if ALWAYS in pairs:
            pairs[ALWAYS] = self._search_path()
        return tuple(pairs.items())

    def validations(self, sheet: SheetNum) -> tuple[ValidationRule, ...]:
        """The sheet's checks; a command check runs with the carried variables too."""
        rules = self._compiled().validations(sheet)
        if not self._environment:
            return rules
        return tuple(
            replace(r, command_environment=(*self._laid_over(), *r.command_environment))
            if r.command is not None
            else r
            for r in rules
        )

    def skip_command(self, sheet: SheetNum) -> ShellCommand | None:
        """The sheet's `skip_when_command`, run with the carried variables too."""
        command = self._compiled().skip_command(sheet)
        if command is None or not self._environment:
            return command
        return replace(command, environment=(*self._laid_over(), *command.environment))

    @property
    def isolation(self) -> Isolation | None:
        return self._isolation

    @property
    def notifications(self) -> tuple[Notification, ...]:
        return self._notifications

    @property
    def archive_policy(self) -> ArchivePolicy | None:
        return self._archive_policy


def _archive_policy(score: CompiledScore) -> ArchivePolicy | None:
    lifecycle = score.model.workspace_lifecycle
    if not lifecycle.archive_on_fresh:
        return None
    return ArchivePolicy(
        archive_dir=lifecycle.archive_dir,
        naming=lifecycle.archive_naming,
        max_archives=lifecycle.max_archives,
        preserve_patterns=tuple(lifecycle.preserve_patterns),
    )


def output_reader(profile: InstrumentProfile, model: str | None) -> Callable[[str], OutputReading]:
    """Reads an attempt's stdout the profile's way: answer, reported error, tokens, cost."""

    def read(stdout: str) -> OutputReading:
        if profile.cli is None:
            return OutputReading(result=stdout)
        parsed = parse_output(profile.cli.output, stdout)
        tokens_in, tokens_out = parsed.input_tokens, parsed.output_tokens
        usage = None
        if parsed.cost is not None:
            usage = Usage(tokens_in, tokens_out, parsed.cost, cost_estimated=False)
        elif tokens_in is not None or tokens_out is not None:
            cost = estimate_cost(profile, model, tokens_in, tokens_out)
            usage = Usage(tokens_in, tokens_out, cost.amount, cost.estimated)
        signals = parsed.signals if parsed.parsed else None
        return OutputReading(parsed.result, parsed.error, usage, signals)

    return read


def _system_prompt(score: CompiledScore, settings: Mapping[str, Any]) -> str | None:
    name = settings.get("system_prompt_file")
    if not isinstance(name, str) or not name:
        return None
    path = score.path.parent / name
    try:
        return read_user_text(path, PROMPT_FILE_MAX_BYTES, "a system prompt file", "a text file")
    except RefusedFile as exc:
        raise UserError(f"instrument_config.system_prompt_file: {exc}") from None
    except OSError as exc:
        raise UserError(
            f"instrument_config.system_prompt_file: cannot read {path}: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"instrument_config.system_prompt_file: {path} is not UTF-8 text ({exc.reason})"
        ) from None


class ScoreCompiler:
    """Compiles submitted scores, with the instrument profiles visible from their folder."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        connections: Connections | None = None,
        secrets: Callable[[Mapping[Any, Any]], None] | None = None,
        policy: Callable[[], EnvironmentPolicy] | None = None,
        urls: Callable[[list[str]], None] | None = None,
        *,
        programs_elsewhere: bool = False,
    ) -> None:
        """`secrets` is told each compiled score's variables and each job's carried ones (the
        redactor learns the values of those named like secrets), and `urls` its apprise URLs
        (all of them secret); `policy` says what a job may carry of its client's environment
        (conductor.yaml's `environment`). With `programs_elsewhere` (attempts run on a Ray
        cluster), an instrument's program need not be installed on this machine."""
        self._programs_elsewhere = programs_elsewhere
        self._env = env
        self._connections = connections
        self._secrets = secrets
        self._policy = policy or EnvironmentPolicy
        self._urls = urls
        self._batch: dict[Path | None, Registry] | None = None

    def registry(self, score_dir: Path | None) -> Registry:
        if self._batch is not None:
            if score_dir not in self._batch:
                self._batch[score_dir] = discover(score_dir, self._env)
            return self._batch[score_dir]
        return discover(score_dir, self._env)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Within it, the profiles of each folder are read once: a recovery compiles
        thousands of jobs, mostly from a few folders."""
        self._batch = {}
        try:
            yield
        finally:
            self._batch = None

    def compile(
        self,
        path: Path,
        snapshot: str | None = None,
        workspace: str | None = None,
        environment: Carried | None = None,
        *,
        rehearsal: bool = False,
    ) -> ScoreJob:
        """A new submission is read from disk and checked whole, as `podium validate` does
        (every prompt rendered once, every instrument known and installed); a stored job is
        compiled from the snapshot it was submitted with. `environment` is what its client
        carried: narrowed to what the job's instruments and the allow-list name (nothing when
        the conductor takes no client environment). With `rehearsal`, the fake agent plays
        every sheet (`podium.score.rehearsal`); a snapshot says for itself."""
        from podium.score.checks import check, stops_a_run  # noqa: PLC0415 - see the docstring
        from podium.score.compiled import load_score  # noqa: PLC0415
        from podium.score.diagnostics import ScoreError  # noqa: PLC0415
        from podium.score.snapshot import thaw  # noqa: PLC0415

        registry = self.registry(path.parent)
        if snapshot is not None:
            thawed = thaw(snapshot, path)
            carried = self._carried(thawed, registry, environment)
            self._learn(thawed, carried)
            return ScoreJob(
                thawed,
                registry,
                snapshot,
                self._connections,
                carried,
                programs_elsewhere=self._programs_elsewhere,
            )
        score = load_score(path, workspace, rehearsal=rehearsal)
        carried = self._carried(score, registry, environment)
        self._learn(score, carried)  # before the checks: an error may quote a variable
        found = check(score, registry.names(), registry.problems, registry.takes_mcp)
        errors = [d for d in found if stops_a_run(d, rehearsal=rehearsal)]
        if errors:
            raise ScoreError(errors)
        reason = cannot_play(score, registry, carried, programs=not self._programs_elsewhere)
        if reason is not None:
            raise UserError(f"{path}: {reason}")
        return ScoreJob(
            score,
            registry,
            connections=self._connections,
            environment=carried,
            programs_elsewhere=self._programs_elsewhere,
        )

    def policy(self) -> EnvironmentPolicy:
        """What a job may carry of its client's environment, now."""
        return self._policy()

    def _carried(
        self, score: CompiledScore, registry: Registry, environment: Carried | None
    ) -> Carried | None:
        """What the job keeps of the environment its client carried."""
        policy = self._policy()
        if environment is None or not policy.from_client:
            return None
        names = {n for s in score.plan.sheets for n in (s.instrument, *s.fallbacks)}
        profiles = [p for n in sorted(names) if (p := registry.get(n)) is not None]
        want = wanted(profiles, policy.passed)
        return tuple(carried(dict(environment), want).items())

    def _learn(self, score: CompiledScore, environment: Carried | None) -> None:
        if self._secrets is not None:
            self._secrets(score.model.prompt.variables)
            self._secrets(dict(environment or ()))
        if self._urls is not None:
            self._urls(apprise_urls(score.notifications, os.environ))


def apprise_urls(notifications: Iterable[Notification], environ: Mapping[str, str]) -> list[str]:
    """The URLs of a score's apprise notifications: those it holds, and those the variables
    it names hold in the conductor's environment."""
    found: list[str] = []
    for target in notifications:
        if target.channel is Channel.APPRISE:
            found += target.urls
            if target.url_env is not None:
                found += split_urls(environ.get(target.url_env, ""))
    return found


def cannot_play(
    score: CompiledScore,
    registry: Registry,
    environment: Carried | None = None,
    *,
    programs: bool = True,
) -> str | None:
    """Why the score cannot run here: an instrument with no profile, or (with `programs`)
    whose program is not installed (on the PATH the job carries, else the conductor's).
    Fallbacks are not required: one that cannot play fails its attempt when its turn comes,
    and the sheet moves on along its chain."""
    for sheet in score.plan.sheets:
        if registry.get(sheet.instrument) is None:
            broken = "".join(f"\n  could not load: {p}" for p in registry.problems)
            return (
                f"sheet {sheet.num} plays '{sheet.instrument}', which has no instrument "
                f"profile; known: {', '.join(registry.names())}. Add a profile in "
                ".podium/instruments/ next to the score, or see 'podium instruments list'" + broken
            )
    for name in sorted({s.instrument for s in score.plan.sheets}):
        profile = registry.require(name)
        if profile.cli is None:
            return f"instrument '{name}' is not a command-line instrument; Podium runs cli ones"
        executable = profile.cli.command.executable
        if programs and which(executable, path=search_path(environment)) is None:
            return not_found(name, executable, environment)
    for sheet in score.plan.sheets:
        cli = registry.require(sheet.instrument).cli
        settings = score.sheet(sheet.num).casting.config
        for key in CONNECTION_SETTINGS:
            if cli is not None and settings.get(key) and getattr(cli.command, key) is None:
                return (
                    f"sheet {sheet.num}: instrument '{sheet.instrument}' has no way to take "
                    f"instrument_config.{key} (its profile sets no cli.command.{key}); remove "
                    "the setting, or override the profile to route it to the CLI"
                )
    return None


def not_found(name: str, executable: str, environment: Carried | None) -> str:
    """Why instrument `name` cannot play: its `executable` is on no PATH searched, and what
    to do about it."""
    searched = search_path(environment)
    whose = (
        "is on neither the PATH your shell sent nor the conductor's"
        if environment is not None
        else "is not on the conductor's PATH"
    )
    head = f"instrument '{name}' runs '{executable}', which {whose} ({abbreviated(searched)})"
    if environment is None:
        return (
            f"{head}. This job was submitted with the conductor's environment only "
            "(--conductor-env, or conductor.yaml's environment.from_client: false): install "
            f"'{executable}' where the conductor finds it and restart it ('podium stop && "
            "podium start' from a shell where 'which "
            f"{executable}' works), or submit without --conductor-env"
        )
    return (
        f"{head}. Install it, or run 'podium run' from a shell where 'which {executable}' "
        "works (its PATH travels with the submission); if it is found through another "
        "variable, name that variable in conductor.yaml's environment.pass. Check with "
        f"'podium instruments check {name}'"
    )


def playable(plan: JobPlan, registry: Registry) -> JobPlan:
    """The plan without the fallbacks that have no profile here (Marianne's HTTP instruments,
    `anthropic_api` say): falling back to them could only fail."""
    sheets = tuple(
        replace(s, fallbacks=tuple(f for f in s.fallbacks if registry.get(f) is not None))
        for s in plan.sheets
    )
    return replace(plan, sheets=sheets)


def unroutable(registry: Registry, connections: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The conductor's `instruments.NAME.base_url`/`config_file` settings that the built-in
    or user profile of NAME cannot pass to its CLI, each as a line saying so."""
    found = []
    for name, given in sorted(connections.items()):
        profile = registry.get(name)
        for key in CONNECTION_SETTINGS:
            if not given.get(key):
                continue
            if profile is None or profile.cli is None or getattr(profile.cli.command, key) is None:
                found.append(
                    f"instruments.{name}.{key} is not used: "
                    + (
                        f"no instrument is called '{name}'"
                        if profile is None
                        else f"its profile sets no cli.command.{key}"
                    )
                )
    return found


def profile_caps(registry: Registry) -> dict[tuple[str, str | None], int]:
    """Each (instrument, model)'s `max_concurrent`, from the profiles."""
    return {
        (profile.name, model.name): model.max_concurrent
        for name in registry.names()
        if (profile := registry.get(name)) is not None
        for model in profile.models
    }
