"""`podium reject JOB SHEET [--note TEXT]`: the sheet that waits for a person fails (Marianne's
abort); the sheets that need it are not run, and the job fails once nothing else runs."""

import argparse

from podium.cli import answer


def declare(p: argparse.ArgumentParser) -> None:
    answer.declare(p)


def run(args: argparse.Namespace) -> int:
    return answer.send(args, "reject")
