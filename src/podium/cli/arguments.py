"""What several verbs share in declaring their arguments: the help formatter and the options
that mean the same everywhere."""

import argparse
import os
import sys


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Reads the terminal width itself: argparse's own way imports shutil (and with it bz2 and
    lzma) on every run, help or not."""

    def __init__(self, prog: str) -> None:
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 80
        super().__init__(prog, width=max(columns - 2, 40))


def sheet_option(p: argparse.ArgumentParser) -> None:
    """`--sheet N`: only that sheet of the job."""
    p.add_argument("--sheet", "-b", type=int, metavar="N", help="only sheet N")
