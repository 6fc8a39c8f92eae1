"""No placeholder value ever becomes shell syntax: proved against real bash.

Each case is a command template with `{v}` in one of bash's quoting contexts, and the exact
bytes bash must print for a value. Values are random text and adversarial pieces (quotes,
`$( )`, backticks, backslashes, newlines, `END`, globs, `touch PWNED`); each run happens in a
fresh folder holding a file a glob would match, and the `PWNED` sentinel must never appear.

`PODIUM_SHELL_EXAMPLES` raises the number of random examples for a longer local run.
"""

import contextlib
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.score.compiled import load_score
from podium.score.placeholders import PlaceholderError, script_words, shell_command
from tests.conftest import SHARED

SENTINEL = "PWNED"
BASH = "/bin/bash"


def _same(v: str) -> str:
    return v


def _substituted(v: str) -> str:
    """What a command substitution gives back: the output less its trailing newlines."""
    return v.rstrip("\n")


@dataclass(frozen=True)
class Case:
    template: str
    expected: Callable[[str], str]


CASES = {
    "bare": Case("printf %s {v}", _same),
    "double": Case('printf %s "{v}"', _same),
    "single": Case("printf %s '{v}'", _same),
    "inside double": Case('printf %s "a{v}b"', lambda v: f"a{v}b"),
    "inside single": Case("printf %s 'a{v}b'", lambda v: f"a{v}b"),
    "twice in one word": Case("printf %s {v}'-'{v}", lambda v: f"{v}-{v}"),
    "three forms": Case("printf '%s|' {v} \"{v}\" '{v}'", lambda v: f"{v}|{v}|{v}|"),
    "single in substitution in double": Case("printf %s \"$(printf %s '{v}')\"", _substituted),
    "nested substitutions": Case('printf %s "$(printf %s "$(printf %s \'{v}\')")"', _substituted),
    "single quotes are literal in double": Case(
        'printf %s "$(printf %s "a\'{v}\'b")"', lambda v: f"a'{v}'b"
    ),
    "backticks in double": Case('printf %s "`printf %s {v}`"', _substituted),
    "ansi-c": Case("printf %s $'x\\n{v}\\ty'", lambda v: f"x\n{v}\ty"),
    "heredoc": Case("cat <<END\n{v}\nEND", lambda v: v + "\n"),
    "heredoc with tabs": Case("cat <<-END\n\t{v}\n\tEND", lambda v: v + "\n"),
    "heredoc in substitution": Case(
        'printf %s "$(cat <<END\n{v}\nEND\n)"', lambda v: (v + "\n").rstrip("\n")
    ),
    "here-string": Case("cat <<<{v}", lambda v: v + "\n"),
    "comment": Case("# a comment {v} '\nprintf %s done", lambda v: "done"),
    "default of unset": Case("printf %s ${x:-{v}}", _same),
    "default in double": Case('printf %s "${x:-{v}}"', _same),
    "quoted default in double": Case('printf %s "${x-"{v}"}"', _same),
    "prefix removal": Case('x={v}tail; printf %s "${x#{v}}"', lambda v: "tail"),
    "assignment": Case('x={v}; printf %s "$x"', _same),
    "function argument": Case('f() { printf %s "$1"; }; f {v}', _same),
    "case subject": Case("case {v} in *) printf %s {v};; esac", _same),
    "condition": Case('[[ "{v}" == {v} ]] && printf ok', lambda v: "ok"),
    "pipeline": Case("printf %s {v} | cat", _same),
    "redirection": Case("printf %s {v} > out && cat out", _same),
    "subshell": Case('( printf %s "{v}" )', _same),
    "brace group": Case("{ printf %s '{v}'; }", _same),
}

PIECES = [
    "'",
    '"',
    "$(",
    ")",
    "`",
    "\\",
    "\n",
    "\n\n",
    "END",
    "\tEND",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    "$",
    "${",
    "$'",
    "$((",
    ";",
    "&",
    "|",
    "<",
    ">",
    "#",
    "~",
    "!",
    " ",
    "\t",
    "-",
    "--",
    "%s",
    f"touch {SENTINEL}",
    f"$(touch {SENTINEL})",
    f"`touch {SENTINEL}`",
    f"'; touch {SENTINEL}; echo '",
    f'"; touch {SENTINEL}; echo "',
    "é",
    "☃",
    "\r",
]
VALUES = [
    "",
    "plain",
    "two  words",
    f"'; touch {SENTINEL}; echo '",
    f"$(touch {SENTINEL})",
    f"`touch {SENTINEL}`",
    f'"; touch {SENTINEL}; echo "',
    "END\n$(touch PWNED)\nEND",
    "back\\slash\\",
    "trailing newlines\n\n",
    "*",
    "-n",
    "a\tb ☃ $HOME ${HOME} \\$x",
]

values = st.one_of(
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
)


def run(template: str, value: str) -> tuple[bytes, bool]:
    """What bash prints for the filled-in command, and whether the sentinel appeared."""
    command = shell_command(template, {"v": value})
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "glob-bait").touch()
        done = subprocess.run(
            [BASH, "-c", command.script],
            cwd=folder,
            env={"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", **dict(command.environment)},
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.stdout, (Path(folder) / SENTINEL).exists()


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", list(CASES))
def test_each_context_passes_adversarial_values_exactly(name: str, value: str) -> None:
    case = CASES[name]
    out, pwned = run(case.template, value)
    assert not pwned
    assert out == case.expected(value).encode()


@settings(
    max_examples=int(os.environ.get("PODIUM_SHELL_EXAMPLES", "200")),
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(CASES)), value=values)
def test_any_value_in_any_context_arrives_exactly_and_runs_nothing(name: str, value: str) -> None:
    case = CASES[name]
    out, pwned = run(case.template, value)
    assert not pwned
    assert out == case.expected(value).encode()


@dataclass(frozen=True)
class Word:
    """A generated shell word and what `printf %s` prints for it, given the value."""

    text: str
    prints: Callable[[str], str]


def _nest(inner: Word, kind: str) -> Word:
    if kind == "substitution":
        return Word(f'"$(printf %s {inner.text})"', lambda v: inner.prints(v).rstrip("\n"))
    if kind == "backticks":
        return Word(f'"`printf %s {inner.text}`"', lambda v: inner.prints(v).rstrip("\n"))
    if kind == "default":
        return Word(f"${{unset_x:-{inner.text}}}", inner.prints)
    delimiter = "E" + hashlib.sha1(inner.text.encode()).hexdigest()[:8]
    body = f"$(printf %s {inner.text})"
    return Word(
        f'"$(cat <<{delimiter}\n{body}\n{delimiter}\n)"',
        lambda v: inner.prints(v).rstrip("\n"),
    )


def _joined(first: Word, second: Word) -> Word:
    """Two words written together are one word: bash joins what they give."""
    return Word(first.text + second.text, lambda v: first.prints(v) + second.prints(v))


LEAVES = [
    Word("{v}", _same),
    Word('"a{v}b"', lambda v: f"a{v}b"),
    Word("'a{v}b'", lambda v: f"a{v}b"),
    Word("$'a{v}b'", lambda v: f"a{v}b"),
    Word("c", lambda v: "c"),
]
words = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(
        st.builds(
            _nest,
            inner.filter(lambda w: "`" not in w.text),
            st.sampled_from(["substitution", "backticks", "default", "heredoc"]),
        ),
        st.builds(_nest, inner, st.sampled_from(["substitution", "default", "heredoc"])),
        st.tuples(inner, inner).map(lambda pair: _joined(*pair)),
    ),
    max_leaves=5,
)


@settings(
    max_examples=int(os.environ.get("PODIUM_SHELL_EXAMPLES", "200")),
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(word=words, value=values)
def test_generated_nestings_of_contexts_pass_any_value_exactly(word: Word, value: str) -> None:
    out, pwned = run(f"printf %s {word.text}", value)
    assert not pwned
    assert out == word.prints(value).encode(), word.text


TOKENS = [
    *["{v}"] * 4,
    " ",
    " ",
    "\t",
    "\n",
    "'",
    '"',
    "\\",
    "$(",
    "(",
    ")",
    "`",
    "$((",
    "))",
    "((",
    "$[",
    "]",
    "[[ ",
    " ]]",
    " -eq ",
    "${",
    "}",
    "${x:",
    "${x[",
    "${!",
    "${#",
    ":-",
    "#",
    "<<",
    "END",
    "<<'END'",
    "<<-END",
    "<<<",
    ">",
    ">&",
    "<&",
    "&>",
    "2>&1",
    ";",
    "|",
    "&&",
    "$'",
    '$"',
    "x",
    "a",
    "=",
    "x=",
    "a[",
    "]=",
    "echo ",
    "printf %s ",
    "case ",
    " in ",
    ";;",
    "esac",
    "{ ",
    " }",
    "f() ",
    "let ",
    "eval ",
    "read ",
    "test ",
    "-v ",
    "export ",
    "local ",
    "declare -i ",
    "typeset -n ",
    "for ((",
    "do ",
    "done",
    "if ",
    "then ",
    "fi",
    "bash ",
    "sh ",
    "-c ",
    "exec ",
    "command ",
    "PS4=",
    "RANDOM=",
    "set -x;",
    "<(",
    "~",
    "*",
    "?",
    "@",
    "%",
    "/",
    "-",
    "1",
]
ATTEMPTS = [
    f"x[$(touch {SENTINEL})]",
    f"$(touch {SENTINEL})",
    f"`touch {SENTINEL}`",
    f"'; touch {SENTINEL}; '",
    f'"; touch {SENTINEL}; "',
    f"1); touch {SENTINEL}; ((",
    f"\n$(touch {SENTINEL})\n",
]


@settings(
    max_examples=int(os.environ.get("PODIUM_SHELL_EXAMPLES", "200")),
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    text=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14)
    .map("".join)
    .filter(lambda t: "{v}" in t),
    value=st.sampled_from(ATTEMPTS),
)
def test_any_command_the_lexer_accepts_never_runs_a_value(text: str, value: str) -> None:
    """Random token soup, most of it nonsense to bash: whatever the lexer lets through, a value
    that tries every way into code never runs."""
    try:
        command = shell_command(text, {"v": value})
    except PlaceholderError:
        return
    with tempfile.TemporaryDirectory() as folder:
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [BASH, "-c", command.script],
                cwd=folder,
                stdin=subprocess.DEVNULL,
                env={"PATH": os.environ["PATH"], **dict(command.environment)},
                capture_output=True,
                timeout=5,
                check=False,
            )
        assert not (Path(folder) / SENTINEL).exists(), command.script


@pytest.mark.parametrize(
    "template",
    [
        "test -n \"$(printf %s '{v}')\" && printf %s \"$(printf %s '{v}')\"",
        "cat <<END\n{v}\nEND",
        "echo \"$(echo '{v}')\"",
    ],
    ids=["single quotes inside a substitution in double quotes", "heredoc", "echo of echo"],
)
@pytest.mark.parametrize(
    "value",
    [f"'; touch {SENTINEL}; echo '", f"$(touch {SENTINEL})", f"/tmp/w '; touch {SENTINEL}; '"],
)
def test_the_known_escapes_run_nothing(template: str, value: str) -> None:
    out, pwned = run(template, value)
    assert not pwned
    assert value.encode() in out


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("echo $(( {v} + 1 ))", "arithmetic"),
        ("(( {v} > 2 ))", "arithmetic"),
        ("for ((i = 0; i < {v}; i++)); do :; done", "arithmetic"),
        ("echo $[{v}]", "arithmetic"),
        ("let n={v}", "`let`"),
        ("[[ {v} -eq 1 ]]", "arithmetic"),
        ("[[ 1 -lt {v} ]] && echo", "arithmetic"),
        ("echo ${a[{v}]}", "subscript"),
        ("a[{v}]=1", "subscript"),
        ("a=([{v}]=1)", "subscript"),
        ("export PS4={v}", "assigned to PS4"),
        ("RANDOM={v}", "assigned to RANDOM"),
        ("BASH_ENV={v} bash ./x.sh", "assigned to BASH_ENV"),
        ("declare -i n; n={v}", "declares an integer or reference variable (`declare -i`)"),
        ("f() { local -n r=$1; }; r={v}", "(`local -n`)"),
        ("wait -p {v} 1", "`wait`"),
        ("bind -x {v}", "`bind`"),
        ("echo hi >&{v}", "target of `>&`"),
        ("echo hi 1>& {v}", "target of `>&`"),
        ("2>/dev/null eval {v}", "`eval`"),
        ("> out eval {v}", "`eval`"),
        ("compgen -W {v}", "`compgen`"),
        ("ssh host 'ls {v}'", "`ssh`"),
        ("echo ${x:{v}}", "substring"),
        ("echo ${!{v}}", "name a parameter"),
        ("cat <<'END'\n{v}\nEND", "quoted delimiter"),
        ('cat <<"END"\n{v}\nEND', "quoted delimiter"),
        ("eval {v}", "`eval`"),
        ("\\eval {v}", "`eval`"),
        ("'let' n={v}", "`let`"),
        ('command "eval" {v}', "`eval`"),
        ("/usr/bin/env X=1 \"/bin/bash\" -c 'ls {v}'", "another shell"),
        ("trap 'echo {v}' EXIT", "`trap`"),
        ("bash -c 'echo {v}'", "another shell"),
        ('sh -ec "echo {v}"', "another shell"),
        ("read {v}", "`read`"),
        ("declare -i n={v}", "`declare`"),
        ("export {v}=1", "`export`"),
        ("printf -v {v} x", "`printf`"),
        ("test -v {v}", "`test`"),
        ("echo ${v}", "follows a `$`"),
        ('echo "\\{v}"', "backslash"),
        ("echo `echo \\\\ {v}`", "backticks"),
        ("echo $(case x in x) echo {v};; esac)", "`case`"),
        ("echo '{v}", "not closed"),
        ('echo "{v}', "not closed"),
        ("echo $(echo {v}", "no closing"),
        ("echo {v} | bash", "stdin of `bash`"),
        ("printf '%s' {v} |& sudo sh -x", "stdin of `sudo sh -x`"),
        ("bash <<< {v}", "stdin of `bash`"),
        ("bash -s -- a <<END\necho {v}\nEND", "stdin of `bash -s -- a`"),
        ("cat <<END | tee copy | sh\n{v}\nEND", "stdin of `sh`"),
        ("ssh host bash <<END\n{v}\nEND", "stdin of `ssh host bash`"),
        ("source /dev/stdin <<< {v}", "stdin of `source /dev/stdin`"),
        ("( echo {v} ) | bash", "stdin of `bash`"),
        ("echo {v} | xargs bash -c", "stdin of `xargs bash -c`"),
        ("echo {v} | xargs -I% sh -c 'echo %'", "stdin of `xargs -I% sh -c 'echo %'`"),
        ("for f in {v}; do echo $f; done | sh", "stdin of `sh`"),
        ("su -c {v}", "another shell"),
        ("flock /tmp/lock -c {v}", "another shell"),
        ("script -qc {v} /dev/null", "another shell"),
    ],
)
def test_places_where_a_value_could_become_code_are_refused(template: str, why: str) -> None:
    with pytest.raises(PlaceholderError, match=r"line \d+, column \d+ of the command: ") as found:
        shell_command(template, {"v": "x"})
    assert why in str(found.value)


@pytest.mark.parametrize(
    "template",
    [
        "echo {v} || bash /dev/null",
        "echo {v} | grep -c bash",
        "echo {v} | xargs sh -c 'echo \"$1\"' _",
        "case {v} in bash|sh) echo shell;; *) echo {v};; esac",
        "bash /dev/null <<< {v}",
        "cat <<END | sort\n{v}\nEND",
    ],
)
def test_text_beside_a_shell_that_does_not_read_it_as_code_is_accepted(template: str) -> None:
    value = f"$(touch {SENTINEL}); touch {SENTINEL}"
    _, pwned = run(template, value)
    assert not pwned


def test_a_refusal_names_the_placeholder_and_its_line_and_column() -> None:
    with pytest.raises(PlaceholderError) as found:
        shell_command("true\necho $(( 1 + {v} ))", {"v": "1"})
    assert str(found.value).startswith("line 2, column 14 of the command: {v} is in `$(( ))`")


def test_a_value_with_a_nul_byte_is_refused() -> None:
    with pytest.raises(PlaceholderError, match="NUL"):
        shell_command("printf %s {v}", {"v": "a\x00b"})


def test_a_command_is_shown_with_its_values_written_in_and_run_with_references() -> None:
    command = shell_command("test -s '{w}/out' && echo {n}", {"w": "/my ws", "n": 3})
    assert command.shown == "test -s '/my ws/out' && echo 3"
    assert command.script == "test -s ''\"$PODIUM_V_w\"'/out' && echo \"$PODIUM_V_n\""
    assert command.environment == (("PODIUM_V_w", "/my ws"), ("PODIUM_V_n", "3"))


def test_unknown_names_and_commands_without_placeholders_are_left_as_written() -> None:
    text = "python3 -c 'print({n: 1 for n in []})' && echo $(( 1 + 2 ))"
    command = shell_command(text, {"v": "x"})
    assert (command.script, command.environment, command.shown) == (text, (), text)


SHARED_SCORES = SHARED / "scores" / "marianne"
MARIANNE = sorted(SHARED_SCORES.rglob("*.yaml")) if SHARED_SCORES.is_dir() else []


@pytest.mark.skipif(not MARIANNE, reason="../shared/scores is not here")
def test_every_shared_score_command_compiles_to_a_script_bash_can_read() -> None:
    scripts: set[str] = set()
    for path in MARIANNE:
        score = load_score(path)
        for sheet in score.plan.sheets:
            rules = score.validations(sheet.num)
            scripts |= {r.command for r in rules if r.command and r.command_environment}
            skip = score.skip_command(sheet.num)
            scripts |= {skip.script} if skip else set()
        values = {"workspace": str(score.workspace), "job_id": "j", "sheet_count": 1}
        scripts |= {
            shell_command(h.command, values).script
            for h in score.plan.policy.hooks
            if h.type == "run_command" and h.command
        }
    assert len(scripts) > 40  # the shared scores use placeholders in many commands
    for script in sorted(scripts):
        done = subprocess.run(
            [BASH, "-n", "-c", script], check=False, capture_output=True, text=True
        )
        assert done.returncode == 0, (script, done.stderr)


def test_a_script_fills_its_words_as_text_without_a_shell() -> None:
    words = script_words("touch '{w}/a b' {n}.txt ;", {"w": "/my ws", "n": "$(x)"})
    assert words == ["touch", "/my ws/a b", "$(x).txt", ";"]


@pytest.mark.parametrize(
    "script",
    ["bash -c 'echo {w}'", "env X=1 sh -ec 'ls {w}'", "ssh host ls {w}", "watch ls {w}"],
)
def test_a_script_refuses_a_placeholder_in_code_it_hands_to_a_shell(script: str) -> None:
    with pytest.raises(PlaceholderError, match="given to another shell as code"):
        script_words(script, {"w": "/ws"})


def test_a_script_that_hands_a_shell_only_its_own_text_is_accepted() -> None:
    assert script_words("bash -c 'echo \"$1\"' _ {w}", {"w": "/ws"})[-1] == "/ws"
    assert script_words("bash ./deploy.sh {w}", {"w": "/ws"}) == ["bash", "./deploy.sh", "/ws"]


def test_a_script_that_cannot_be_split_is_refused() -> None:
    with pytest.raises(PlaceholderError, match="cannot split"):
        script_words("echo 'unbalanced", {})
