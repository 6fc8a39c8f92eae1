"""Which words of a bash command take a value as code or as a variable's name.

`podium.score.shell_lexer` finds the words; these rules say where a placeholder in them is
refused: the arguments of commands that run them as code (`eval`, `trap`, `let` …) or take
them as names (`read`, `unset`, `declare` names), the script of `bash -c` and the arguments
of `ssh`, array subscripts, variables whose value bash evaluates (`PS4`, `RANDOM` …), and the
operands of arithmetic comparisons in `[[ ]]`. A placeholder is a `(start, name)` pair: its
offset in the command and its name.
"""

import re
from collections.abc import Sequence

Placeholder = tuple[int, str]
"""Where a placeholder starts in the command, and its name."""


class Refused(ValueError):
    """A placeholder where its value could become code, or a command the lexer cannot read."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


RESERVED = frozenset({"!", "if", "then", "else", "elif", "do", "while", "until", "time", "{"})
PREFIXES = frozenset({"command", "builtin", "exec", "nohup"})
"""Words before a command's name that run it (`command eval …` is still `eval`)."""
DECLARES = frozenset({"declare", "typeset", "local", "readonly", "export"})
ARITHMETIC = (
    "where bash evaluates its value as arithmetic, which can run code; compare it with "
    "`test` or `[ ]` instead (`[ {name} -ge 3 ]`), which do not evaluate it"
)
CODE_FOR_A_SHELL = (
    "in a command given to another shell as code (`bash -c`, `ssh`, `watch`), which would "
    "run its value as code; use the value in this command instead"
)

_ARITHMETIC_OPERATORS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
_RUNS_CODE = frozenset({"eval", "let", "trap", "alias", "bind", "compgen", "complete"})
_HANDS_TO_A_SHELL = frozenset({"ssh", "watch"})
"""Programs that join their arguments into a command for a shell."""
_NAMES_VARIABLES = frozenset({"read", "unset", "mapfile", "readarray", "getopts"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"})
_RUN_C_IN_A_SHELL = frozenset({"su", "runuser", "flock", "script"})
"""Programs whose `-c COMMAND` they give to a shell, as `bash -c` does."""
_RUNNERS = frozenset(
    {"env", "sudo", "doas", "nice", "nohup", "timeout", "stdbuf", "setsid", "ionice", "chroot"}
    | {"ssh", "docker", "podman", "kubectl", "su", "runuser", "time", "xargs", "taskset"}
)
"""Programs that run a command named in their arguments (`sudo bash`, `ssh host sh`)."""
_OPTION_ARGUMENT = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_STDIN_FILES = frozenset({"-", "/dev/stdin", "/proc/self/fd/0", "/dev/fd/0"})
_SHELL_CODE_OPTION = re.compile(r"^-[A-Za-z]*c[A-Za-z]*$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_SUBSCRIPT = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*)?\[(.*?)\]\+?=", re.DOTALL)
_EVALUATED_ASSIGNMENT = re.compile(
    r"^(PS[0-4]|PROMPT_COMMAND|BASH_ENV|ENV|RANDOM|SRANDOM|OPTIND|HISTCMD)\+?="
)
"""Variables whose value bash evaluates: prompts and `BASH_ENV` are expanded again (`$(…)`
and all), and these special integers are assigned through arithmetic."""


def arithmetic(name: str) -> str:
    """Why a placeholder named `name` is refused in arithmetic, and what to write instead."""
    return ARITHMETIC.replace("{name}", "{" + name + "}")


def is_assignment(word: str) -> bool:
    return _ASSIGNMENT.match(word) is not None


def program(word: str) -> str:
    """The program a command word names, its quotes removed (`\\eval` and `'let'` are still
    `eval` and `let` to bash) and its folder dropped."""
    return re.sub(r"[\\'\"]", "", word).rsplit("/", 1)[-1]


def check_assignment(raw: str, start: int, spots: Sequence[Placeholder]) -> None:
    """Refuses a placeholder of the word `raw` (at `start`) in the subscript of `a[…]=` or
    `([…]=…)` (arithmetic), or in the value of a variable bash evaluates."""
    subscript = _SUBSCRIPT.match(raw)
    if subscript is not None:
        inside = [(at, name) for at, name in spots if at - start < subscript.end(1)]
        if inside:
            at, name = inside[0]
            raise Refused(at, f"{{{name}}} is in an array subscript, {arithmetic(name)}")
    evaluated = _EVALUATED_ASSIGNMENT.match(raw)
    if evaluated is not None:
        at, name = spots[0]
        raise Refused(
            at,
            f"{{{name}}} is assigned to {evaluated[1]}, whose value bash evaluates (as a "
            "prompt or as arithmetic, running any `$(…)` in it); use another variable",
        )


def check_argument(words: Sequence[str], name: int, offset: int, spot: Placeholder) -> None:
    """Refuses a placeholder in the last of `words` (`offset` characters into it), an
    argument of the command named by `words[name]`, when that command takes it as code or as
    a variable's name."""
    at, placeholder = spot
    raw, command, previous = words[-1], program(words[name]), words[-2]

    def refuse(why: str) -> Refused:
        return Refused(at, f"{{{placeholder}}} is an argument of `{command}`, which {why}")

    if command in _RUNS_CODE:
        raise refuse("runs it as shell code")
    if command in _NAMES_VARIABLES:
        raise refuse("takes it as a variable's name")
    if command in DECLARES:
        options = [w for w in words[name + 1 : -1] if w.startswith(("-", "+"))]
        if any(set(o) & set("inaA") for o in options):
            raise refuse("with these options evaluates it or takes it as a name")
        equals = raw.find("=")
        if equals < 0 or offset < equals:
            raise refuse("takes the text before `=` as a variable's name")
    if command in ("printf", "wait") and previous in ("-v", "-p"):
        raise refuse(f"takes the word after `{previous}` as a variable's name")
    if command in ("test", "[") and previous in ("-v", "-R"):
        raise refuse(f"takes the word after `{previous}` as a variable's name")
    if len(words) - 1 in code_words(words, name):
        raise Refused(at, f"{{{placeholder}}} is {CODE_FOR_A_SHELL}")


def code_words(words: Sequence[str], name: int = 0) -> range:
    """The indexes of the words of a command (its name at `name`) that another shell runs as
    code: the script of `bash -c SCRIPT` (with any options between; the words after it are
    its positional parameters, data), or every argument of `ssh` and `watch`."""
    if program(words[name]) in _HANDS_TO_A_SHELL:
        return range(name + 1, len(words))
    shell = next(
        (k for k in range(name, len(words)) if program(words[k]) in _SHELLS | _RUN_C_IN_A_SHELL),
        None,
    )
    if shell is None:
        return range(0)
    option = next(
        (j for j in range(shell + 1, len(words)) if _SHELL_CODE_OPTION.match(words[j])), None
    )
    if option is None:
        return range(0)
    script = next(
        (j for j in range(option + 1, len(words)) if not words[j].startswith(("-", "+"))),
        len(words) - 1,
    )
    return range(option + 1, script + 1)


def check_condition(words: Sequence[tuple[str, Sequence[Placeholder]]]) -> None:
    """`[[ … ]]` evaluates the operands of `-eq` … as arithmetic and takes the operand of
    `-v` as a variable's name."""
    for k, (_, spots) in enumerate(words):
        if not spots:
            continue
        at, name = spots[0]
        before = words[k - 1][0] if k > 0 else ""
        after = words[k + 1][0] if k + 1 < len(words) else ""
        if before in _ARITHMETIC_OPERATORS or after in _ARITHMETIC_OPERATORS:
            raise Refused(
                at,
                f"{{{name}}} is an operand of an arithmetic comparison in `[[ ]]`, "
                + arithmetic(name),
            )
        if before in ("-v", "-R"):
            raise Refused(
                at, f"{{{name}}} follows `{before}` in `[[ ]]`, which takes it as a variable's name"
            )


def reads_code_from_stdin(words: Sequence[str], name: int) -> bool:
    """Whether the command (its name at `name`) runs what it reads on its stdin as shell code:
    a shell given no script (`bash`, `sh -s`, `ssh host bash`, `sudo sh -x`, `bash -`), or
    `source /dev/stdin`."""
    if program(words[name]) in ("source", "."):
        return any(w in _STDIN_FILES for w in words[name + 1 :])
    shells = [k for k in range(name, len(words)) if program(words[k]) in _SHELLS]
    if not shells or (shells[0] != name and program(words[name]) not in _RUNNERS):
        return False
    k = shells[0] + 1
    while k < len(words):
        word = words[k]
        if _SHELL_CODE_OPTION.match(word):
            # Its script is an argument (`code_words`); `xargs sh -c` takes it from stdin when
            # none follows, or puts what it reads into it (`-I {}`).
            return program(words[name]) == "xargs" and _xargs_script_from_stdin(words, name, k)
        if re.match(r"^-[A-Za-z]*s", word) or word in ("-", "--"):
            return True
        if not word.startswith(("-", "+")):
            return word in _STDIN_FILES  # a script file, unless it names stdin
        k += 2 if word in _OPTION_ARGUMENT else 1
    return True


def _xargs_script_from_stdin(words: Sequence[str], name: int, option: int) -> bool:
    script = next((w for w in words[option + 1 :] if not w.startswith(("-", "+"))), None)
    replaces = any(re.match(r"^(-[A-Za-z]*[Ii]|--replace)", w) for w in words[name + 1 : option])
    return script is None or replaces
