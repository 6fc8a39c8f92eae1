"""Where a job's files live under the state directory.

    jobs/<job>/job.json                             the job's card (see `job_card`)
    jobs/<job>/sheets/<n>/attempt-<k>.prompt        what the attempt was asked (redacted)
    jobs/<job>/sheets/<n>/attempt-<k>.input         the prompt handed over, while it is needed
    jobs/<job>/sheets/<n>/attempt-<k>.stdout.log    its output, streamed as it runs
    jobs/<job>/sheets/<n>/attempt-<k>.stderr.log
    jobs/<job>/sheets/<n>/attempt-<k>.exit          its exit status, written by its wrapper
                                                    (blanks until then)
    jobs/<job>/sheets/<n>/attempt-<k>.result.txt    its answer (redacted), for later sheets
    jobs/<job>/sheets/<n>/attempt-<k>.validation-<i>.log   output of command checks
    jobs/<job>/hooks/hook-<n>.log                   what its n-th on_success hook printed
    jobs/<job>/hooks/hook-<n>.exit                  that hook's exit status, as for an attempt
    jobs/.cleared-…/                                folders of cleared jobs, being removed

One folder per sheet holds all its attempts: creating folders and files is most of the cost
of starting an attempt, so there are as few as can be.
"""

from pathlib import Path

from podium.domain.ids import JobId, SheetNum


class Layout:
    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir

    def sheet_dir(self, job_id: JobId, sheet: SheetNum) -> Path:
        return self.jobs_dir / job_id / "sheets" / str(sheet)

    def attempt_file(self, job_id: JobId, sheet: SheetNum, attempt: int, name: str) -> Path:
        """`name` is 'prompt', 'stdout.log', 'stderr.log' or 'validation-<i>.log'."""
        return self.sheet_dir(job_id, sheet) / f"attempt-{attempt}.{name}"

    def marker(self, job_id: JobId, sheet: SheetNum, attempt: int) -> str:
        """Names one attempt of one conductor (its state folder) in a process environment."""
        return f"{self.jobs_dir}:{job_id}/{sheet}/{attempt}"
