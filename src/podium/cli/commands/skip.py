"""`podium skip JOB SHEET [--note TEXT]`: the sheet that waits for a person is skipped; the
sheets after it run."""

import argparse

from podium.cli import answer


def declare(p: argparse.ArgumentParser) -> None:
    answer.declare(p)


def run(args: argparse.Namespace) -> int:
    return answer.send(args, "skip")
