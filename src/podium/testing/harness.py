"""Drive the engine by hand: feed it events at virtual times and look at its commands."""

from collections.abc import Iterable, Mapping, Sequence

from podium.domain.classify import Classified
from podium.domain.commands import (
    Command,
    Kill,
    Launch,
    Persist,
    Reply,
    RunHook,
    RunSkipCheck,
    RunValidations,
    WakeAt,
)
from podium.domain.engine import Engine, Limits
from podium.domain.events import (
    AnswerGate,
    AttemptExited,
    AttemptLost,
    AttemptNotLaunched,
    CancelJob,
    ClearRateLimits,
    Event,
    HookFinished,
    HookResult,
    JobSubmitted,
    ModifyJob,
    NewScore,
    PauseJob,
    RecoverSheets,
    RestoredJob,
    ResumeJob,
    SkipChecked,
    StopAttempt,
    Tick,
    ValidationsDone,
)
from podium.domain.gates import Answer
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome, ExitStatus, classify_exit, describe_exit
from podium.domain.plan import JobPlan, SheetPlan
from podium.domain.policy import JobPolicy, ParallelPolicy, RetryPolicy
from podium.domain.records import Usage
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.testing.clock import FakeClock


def make_plan(
    dependencies: Mapping[int, Iterable[int]] | None = None,
    *,
    sheets: int | None = None,
    max_retries: int = 0,
    name: str = "plan",
    timeout_seconds: float = 60.0,
    instrument: str = "cli",
    instruments: Mapping[int, str] | None = None,
    model: str | None = None,
    fallbacks: tuple[str, ...] = (),
    policy: JobPolicy | None = None,
    parallel: int | None = None,
    fail_fast: bool = True,
    skip_when: Mapping[int, str] | None = None,
    skip_when_command: Mapping[int, str] | None = None,
) -> JobPlan:
    """A plan of `sheets` sheets (or as many as `dependencies` names) with those dependencies.

    Without `dependencies`, sheets form a linear chain, as a score without any does. Unless
    `policy` is given the policy has no delays (no backoff, pacing or jitter) and no completion
    attempts; `parallel` enables parallel dispatch, that many sheets at once.
    """
    deps = {int(k): sorted(int(d) for d in v) for k, v in (dependencies or {}).items()}
    count = sheets or max([*deps, *(d for v in deps.values() for d in v)], default=1)
    if dependencies is None:
        deps = {n: [n - 1] for n in range(2, count + 1)}
    if policy is None:
        policy = JobPolicy(
            retry=RetryPolicy(
                max_retries=max_retries,
                base_delay_seconds=0.0,
                jitter=False,
                max_completion_attempts=0,
                completion_delay_seconds=0.0,
            ),
            parallel=ParallelPolicy(
                enabled=parallel is not None, max_concurrent=parallel or 1, fail_fast=fail_fast
            ),
        )
    return JobPlan(
        name=name,
        policy=policy,
        sheets=tuple(
            SheetPlan(
                num=SheetNum(n),
                movement=n,
                voice=None,
                voice_count=1,
                instrument=(instruments or {}).get(n, instrument),
                depends_on=tuple(SheetNum(d) for d in deps.get(n, [])),
                timeout_seconds=timeout_seconds,
                model=model,
                fallbacks=fallbacks,
                skip_when=(skip_when or {}).get(n),
                skip_when_command=(skip_when_command or {}).get(n),
            )
            for n in range(1, count + 1)
        ),
    )


RULE = ValidationRule(ValidationKind.FILE_EXISTS, path="/workspace/out.txt")


class EngineHarness:
    """An engine, a fake clock, and every command it returned so far."""

    def __init__(self, limits: Limits | None = None, clock: FakeClock | None = None) -> None:
        self.engine = Engine(limits or Limits())
        self.clock = clock or FakeClock()
        self.commands: list[Command] = []
        self._requests = 0

    def feed(self, event: Event) -> list[Command]:
        commands = self.engine.handle(event, self.clock.now())
        self.commands.extend(commands)
        return commands

    def request(self) -> int:
        self._requests += 1
        return self._requests

    def submit(
        self,
        plan: JobPlan,
        job_id: str = "job",
        score_path: str | None = None,
        *,
        start_sheet: int = 1,
        chain_depth: int = 0,
    ) -> list[Command]:
        return self.feed(
            JobSubmitted(
                request=self.request(),
                job_id=JobId(job_id),
                plan=plan,
                score_path=score_path or f"/scores/{job_id}.yaml",
                workspace="/workspace",
                snapshot="",
                start_sheet=start_sheet,
                chain_depth=chain_depth,
            )
        )

    def exit(
        self,
        job_id: str,
        sheet: int,
        code: int = 0,
        *,
        attempt: int | None = None,
        signal: int | None = None,
        timed_out: bool = False,
        tail: str = "",
        outcome: AttemptOutcome | None = None,
        reset_at: float | None = None,
        cost: float | None = None,
        quota: bool = False,
        exited_at: float | None = None,
        feedback: str | None = None,
    ) -> list[Command]:
        """The attempt's process ended (at `exited_at`, as the runtime saw it); `outcome`
        overrides what the exit alone would say (a rate limit or an auth failure read from the
        output)."""
        status = ExitStatus(
            None if signal is not None else code, signal, timed_out, 60.0 if timed_out else None
        )
        detail = describe_exit(status)
        if tail.strip():
            detail += ": " + tail.strip().splitlines()[-1]
        plain = classify_exit(status)
        classified = Classified(
            outcome or plain,
            "" if plain is AttemptOutcome.SUCCEEDED else detail,
            reset_at,
            quota=quota,
        )
        return self.feed(
            AttemptExited(
                JobId(job_id),
                SheetNum(sheet),
                attempt or self.current_attempt(job_id, sheet),
                status,
                classified,
                None if cost is None else Usage(cost=cost),
                exited_at=exited_at,
                feedback=feedback,
            )
        )

    def rate_limited(
        self, job_id: str, sheet: int, *, reset_at: float | None = None
    ) -> list[Command]:
        return self.exit(
            job_id,
            sheet,
            1,
            tail="rate limit exceeded",
            outcome=AttemptOutcome.RATE_LIMITED,
            reset_at=reset_at,
        )

    def not_launched(
        self,
        job_id: str,
        sheet: int,
        reason: str = "no such file",
        *,
        no_room: bool = False,
        final: bool = False,
        wait_seconds: float | None = None,
    ) -> list[Command]:
        return self.feed(
            AttemptNotLaunched(
                JobId(job_id),
                SheetNum(sheet),
                self.current_attempt(job_id, sheet),
                reason,
                no_room=no_room,
                final=final,
                wait_seconds=wait_seconds,
            )
        )

    def lost(
        self, job_id: str, sheet: int, reason: str = "its Ray actor on node n1 died"
    ) -> list[Command]:
        """The current attempt of the sheet was lost with the node that ran it."""
        return self.feed(
            AttemptLost(JobId(job_id), SheetNum(sheet), self.current_attempt(job_id, sheet), reason)
        )

    def validated(
        self,
        job_id: str,
        sheet: int,
        passed: Sequence[bool] = (True,),
        *,
        attempt: int | None = None,
    ) -> list[Command]:
        results = tuple(ValidationResult(RULE, ok, "" if ok else "file not found") for ok in passed)
        return self.feed(
            ValidationsDone(
                JobId(job_id),
                SheetNum(sheet),
                attempt or self.current_attempt(job_id, sheet),
                results,
            )
        )

    def run_sheet(self, job_id: str, sheet: int) -> list[Command]:
        """Let a running sheet exit 0 and pass its validations."""
        self.exit(job_id, sheet)
        return self.validated(job_id, sheet)

    def skip_checked(self, job_id: str, sheet: int, skip: bool) -> list[Command]:
        checks = [
            c
            for c in self.commands
            if isinstance(c, RunSkipCheck) and c.job_id == job_id and c.sheet == sheet
        ]
        check = checks[-1].check if checks else 0
        detail = "exited 0" if skip else "exited 1"
        return self.feed(SkipChecked(JobId(job_id), SheetNum(sheet), check, skip, detail))

    def hook_finished(
        self,
        job_id: str = "job",
        *,
        ok: bool = True,
        exit_code: int | None = None,
        error: str | None = None,
        chained_job: str | None = None,
        index: int | None = None,
    ) -> list[Command]:
        """The job's latest `RunHook` (or hook `index`) ended: with exit 0, or as failed."""
        asked = [c for c in self.commands if isinstance(c, RunHook) and c.job_id == job_id]
        if not asked:
            raise AssertionError(f"job {job_id} never ran a hook")
        result = HookResult(
            ok,
            exit_code if exit_code is not None else (0 if ok else 1),
            None if ok else (error or "exit 1"),
            chained_job=None if chained_job is None else JobId(chained_job),
        )
        return self.feed(HookFinished(JobId(job_id), index or asked[-1].index, result))

    def advance(self, seconds: float) -> list[Command]:
        """Let time pass and deliver the wake-up the engine asked for, if it falls due."""
        self.clock.advance(seconds)
        return self.feed(Tick())

    def kill(self, job_id: str = "job", sheet: int = 1) -> list[Command]:
        return self.feed(StopAttempt(self.request(), JobId(job_id), SheetNum(sheet)))

    def answer(
        self,
        job_id: str,
        sheet: int,
        answer: Answer,
        *,
        note: str | None = None,
        prompt: str | None = None,
        replace_prompt: bool = False,
    ) -> list[Command]:
        """A person answers the question the sheet waits on."""
        return self.feed(
            AnswerGate(
                self.request(), JobId(job_id), SheetNum(sheet), answer, note, prompt, replace_prompt
            )
        )

    def pause(self, job_id: str = "job", *, force: bool = False) -> list[Command]:
        return self.feed(PauseJob(self.request(), JobId(job_id), force))

    def resume(
        self,
        job_id: str = "job",
        *,
        stored: RestoredJob | None = None,
        plan: JobPlan | None = None,
        score_path: str | None = None,
        force: bool = False,
    ) -> list[Command]:
        score = None if plan is None else NewScore(plan, "", score_path or f"/scores/{job_id}.yaml")
        return self.feed(ResumeJob(self.request(), JobId(job_id), stored, score, force))

    def modify(
        self,
        plan: JobPlan,
        job_id: str = "job",
        *,
        stored: RestoredJob | None = None,
        score_path: str | None = None,
        resume: bool = True,
    ) -> list[Command]:
        path = score_path or f"/scores/{job_id}.yaml"
        score = NewScore(plan, "", path, key=f"{path}:{plan!r}")
        return self.feed(ModifyJob(self.request(), JobId(job_id), score, stored, resume))

    def recover(
        self,
        job_id: str = "job",
        *,
        stored: RestoredJob | None = None,
        sheets: Sequence[int] = (),
        from_sheet: int | None = None,
        dry_run: bool = False,
    ) -> list[Command]:
        return self.feed(
            RecoverSheets(
                self.request(),
                JobId(job_id),
                stored,
                tuple(SheetNum(n) for n in sheets),
                None if from_sheet is None else SheetNum(from_sheet),
                dry_run,
            )
        )

    def rechecked(self, job_id: str, sheet: int, passed: Sequence[bool] = (True,)) -> list[Command]:
        """The answer to the latest `RunValidations` of `podium recover` for this sheet."""
        asked = [
            c
            for c in self.commands
            if isinstance(c, RunValidations)
            and c.recheck
            and (c.job_id, c.sheet) == (job_id, sheet)
        ]
        if not asked:
            raise AssertionError(f"job {job_id} sheet {sheet} was never checked again")
        results = tuple(ValidationResult(RULE, ok, "" if ok else "file not found") for ok in passed)
        return self.feed(
            ValidationsDone(JobId(job_id), SheetNum(sheet), asked[-1].attempt, results, True)
        )

    def cancel(self, job_id: str = "job") -> list[Command]:
        return self.feed(CancelJob(self.request(), JobId(job_id)))

    def clear_rate_limits(self, instrument: str | None = None) -> list[Command]:
        return self.feed(ClearRateLimits(self.request(), instrument))

    def current_attempt(self, job_id: str, sheet: int) -> int:
        launches = [
            c
            for c in self.commands
            if isinstance(c, Launch) and c.job_id == job_id and c.sheet == sheet
        ]
        if not launches:
            raise AssertionError(f"job {job_id} sheet {sheet} was never launched")
        return launches[-1].attempt

    def statuses(self, job_id: str = "job") -> dict[int, str]:
        view = self.engine.view(JobId(job_id))
        if view is None:
            raise AssertionError(f"job {job_id} is not active")
        return {s.num: s.status.value for s in view.sheets}


def launched(commands: Iterable[Command]) -> list[tuple[str, int]]:
    """(job, sheet) of every Launch in `commands`, in order."""
    return [(c.job_id, c.sheet) for c in commands if isinstance(c, Launch)]


def launches(commands: Iterable[Command]) -> list[Launch]:
    return [c for c in commands if isinstance(c, Launch)]


def killed(commands: Iterable[Command]) -> list[tuple[str, int]]:
    return [(c.job_id, c.sheet) for c in commands if isinstance(c, Kill)]


def validations_requested(commands: Iterable[Command]) -> list[tuple[str, int]]:
    return [(c.job_id, c.sheet) for c in commands if isinstance(c, RunValidations)]


def replies(commands: Iterable[Command]) -> list[Reply]:
    return [c for c in commands if isinstance(c, Reply)]


def persisted(commands: Iterable[Command]) -> list[Persist]:
    return [c for c in commands if isinstance(c, Persist)]


def wakes(commands: Iterable[Command]) -> list[float]:
    return [c.at for c in commands if isinstance(c, WakeAt)]
