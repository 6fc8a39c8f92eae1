"""`podium approve JOB SHEET [--note TEXT] [--prompt TEXT|@FILE] [--replace]`: the sheet that
waits for a person goes on (Marianne's proceed; with a prompt, her modify_prompt)."""

import argparse

from podium.cli import answer


def declare(p: argparse.ArgumentParser) -> None:
    answer.declare(p)
    p.add_argument(
        "--prompt",
        metavar="TEXT|@FILE",
        help="instructions for the sheet's next attempt, added after its prompt (@FILE: a "
        "file's text)",
    )
    p.add_argument(
        "--replace", action="store_true", help="with --prompt: replace the sheet's prompt"
    )


def run(args: argparse.Namespace) -> int:
    if args.replace and args.prompt is None:
        from podium.domain.errors import UserError  # noqa: PLC0415 - only on this mistake

        raise UserError("--replace goes with --prompt: give the prompt that replaces the sheet's")
    prompt = None if args.prompt is None else answer.prompt_text(args.prompt)
    return answer.send(args, "approve", prompt)
