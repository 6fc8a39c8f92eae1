"""Drive the engine by hand: feed it events at virtual times and look at its commands."""

from collections.abc import Iterable, Mapping, Sequence

from podium.domain.commands import Command, Launch, Persist, Reply, RunValidations
from podium.domain.engine import Engine, Limits
from podium.domain.events import (
    AttemptExited,
    AttemptNotLaunched,
    Event,
    JobSubmitted,
    ValidationsDone,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import ExitStatus
from podium.domain.plan import JobPlan, SheetPlan
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.testing.clock import FakeClock


def make_plan(
    dependencies: Mapping[int, Iterable[int]] | None = None,
    *,
    sheets: int | None = None,
    max_retries: int = 0,
    name: str = "plan",
    timeout_seconds: float = 60.0,
) -> JobPlan:
    """A plan of `sheets` sheets (or as many as `dependencies` names) with those dependencies.

    Without `dependencies`, sheets form a linear chain, as a score without any does.
    """
    deps = {int(k): sorted(int(d) for d in v) for k, v in (dependencies or {}).items()}
    count = sheets or max([*deps, *(d for v in deps.values() for d in v)], default=1)
    if dependencies is None:
        deps = {n: [n - 1] for n in range(2, count + 1)}
    return JobPlan(
        name=name,
        sheets=tuple(
            SheetPlan(
                num=SheetNum(n),
                movement=n,
                voice=None,
                voice_count=1,
                instrument="cli",
                depends_on=tuple(SheetNum(d) for d in deps.get(n, [])),
                timeout_seconds=timeout_seconds,
                max_retries=max_retries,
            )
            for n in range(1, count + 1)
        ),
    )


_RULE = ValidationRule(ValidationKind.FILE_EXISTS, path="/workspace/out.txt")


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

    def submit(
        self, plan: JobPlan, job_id: str = "job", score_path: str | None = None
    ) -> list[Command]:
        self._requests += 1
        return self.feed(
            JobSubmitted(
                request=self._requests,
                job_id=JobId(job_id),
                plan=plan,
                score_path=score_path or f"/scores/{job_id}.yaml",
                workspace="/workspace",
                snapshot="",
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
    ) -> list[Command]:
        status = ExitStatus(
            None if signal is not None else code, signal, timed_out, 60.0 if timed_out else None
        )
        return self.feed(
            AttemptExited(
                JobId(job_id),
                SheetNum(sheet),
                attempt or self.current_attempt(job_id, sheet),
                status,
                tail,
            )
        )

    def not_launched(self, job_id: str, sheet: int, reason: str = "no such file") -> list[Command]:
        return self.feed(
            AttemptNotLaunched(
                JobId(job_id), SheetNum(sheet), self.current_attempt(job_id, sheet), reason
            )
        )

    def validated(
        self,
        job_id: str,
        sheet: int,
        passed: Sequence[bool] = (True,),
        *,
        attempt: int | None = None,
    ) -> list[Command]:
        results = tuple(
            ValidationResult(_RULE, ok, "" if ok else "file not found") for ok in passed
        )
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

    def current_attempt(self, job_id: str, sheet: int) -> int:
        launches = [
            c
            for c in self.commands
            if isinstance(c, Launch) and c.job_id == job_id and c.sheet == sheet
        ]
        if not launches:
            raise AssertionError(f"job {job_id} sheet {sheet} was never launched")
        return launches[-1].attempt


def launched(commands: Iterable[Command]) -> list[tuple[str, int]]:
    """(job, sheet) of every Launch in `commands`, in order."""
    return [(c.job_id, c.sheet) for c in commands if isinstance(c, Launch)]


def validations_requested(commands: Iterable[Command]) -> list[tuple[str, int]]:
    return [(c.job_id, c.sheet) for c in commands if isinstance(c, RunValidations)]


def replies(commands: Iterable[Command]) -> list[Reply]:
    return [c for c in commands if isinstance(c, Reply)]


def persisted(commands: Iterable[Command]) -> list[Persist]:
    return [c for c in commands if isinstance(c, Persist)]
