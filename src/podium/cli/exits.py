"""Exit codes of the `podium` command. Stable: scripts depend on them."""

OK = 0
INTERNAL = 1
"""A bug, in the CLI or in the conductor."""
USER = 2
"""Bad input: a wrong score, an unknown job, a bad argument."""
JOB_FAILED = 3
"""`run --wait` followed the job to a status other than completed."""
NO_CONDUCTOR = 4
"""The conductor is not running (and was not to be started)."""
TIMED_OUT = 5
"""`pause --wait` gave up after its `--timeout`; the job's attempts go on."""
ANSWER_LOST = 6
"""The request was sent, and the conductor stopped before it answered or did not answer in
time: what was asked may have been done (`run`: the job may have been accepted)."""
INTERRUPTED = 130
"""Ctrl-C while following a job; the job itself goes on."""
