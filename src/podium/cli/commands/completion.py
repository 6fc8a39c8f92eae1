"""`podium completion SHELL`: the code that has the shell complete podium's commands, options
and job ids (`podium.cli.completion` answers the shell)."""

import argparse
import sys

from argcomplete.shell_integration import shellcode

from podium.cli import exits


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "shell",
        choices=("bash", "zsh", "fish", "tcsh", "powershell"),
        help="the shell to complete in",
    )
    p.epilog = (
        'bash:  eval "$(podium completion bash)"   (in ~/.bashrc)\n'
        'zsh:   eval "$(podium completion zsh)"    (in ~/.zshrc)\n'
        "fish:  podium completion fish > ~/.config/fish/completions/podium.fish"
    )


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(shellcode(["podium"], shell=args.shell))
    return exits.OK
