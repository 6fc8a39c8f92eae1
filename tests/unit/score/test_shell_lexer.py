"""The quoting context of each placeholder, as bash reads the command."""

import pytest

from podium.score.placeholders import FIELD
from podium.score.shell_lexer import Context, lex
from podium.score.shell_rules import Refused, reads_code_from_stdin

W, D, S, A, C = Context.WORD, Context.DOUBLE, Context.SINGLE, Context.ANSI, Context.COMMENT


def contexts(text: str) -> list[Context]:
    spots = {m.start(): (m.end(), m[1]) for m in FIELD.finditer(text) if m[1] == "v"}
    return [spot.context for spot in lex(text, spots)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo {v}", [W]),
        ("echo {v}/x {v}", [W, W]),
        ('echo "{v}"', [D]),
        ("echo '{v}'", [S]),
        ("echo $'{v}'", [A]),
        ("echo $'\\'{v}'", [A]),
        ('echo $"{v}"', [D]),
        ('echo "it\'s {v}"', [D]),
        ("echo 'say \"{v}\"'", [S]),
        ('echo "a\\"{v}"', [D]),
        ("echo \\'{v}", [W]),
        ('echo "$(echo {v})"', [W]),
        ("echo \"$(echo '{v}')\"", [S]),
        ('echo "$(echo "{v}")"', [D]),
        ('echo "$(echo "$(echo \'{v}\')")"', [S]),
        ("echo `echo {v}`", [W]),
        ('echo "`echo {v}`"', [W]),
        ("echo ${x:-{v}}", [W]),
        ('echo "${x:-{v}}"', [W]),
        ("echo \"${x:-'{v}'}\"", [W]),
        ("echo ${x:-'{v}'}", [S]),
        ('echo "${x#"{v}"}"', [D]),
        ("echo ${x:-{a}} {v}", [W]),
        ("cat <<END\n{v} '{v}' \"{v}\"\nEND\necho {v}", [D, D, D, W]),
        ("cat <<-END\n\t{v}\n\tEND", [D]),
        ("cat <<END | tr a b\n$(echo '{v}')\nEND", [S]),
        ("cat <<<{v}", [W]),
        ("echo {v} # {v}\necho {v}", [W, C, W]),
        ("echo a#{v}", [W]),
        ("echo '#' {v}", [W]),
        ("x={v} y='{v}'", [W, S]),
        ("a[1]={v} b=([0]={v})", [W, W]),
        ("echo [x]={v}", [W]),
        ("bash -c 'echo \"$1\"' _ {v}", [W]),
        ("bash ./deploy.sh {v}", [W]),
        ("[[ {v} == x && -f {v} ]]", [W, W]),
        ("test {v} -eq 3", [W]),
        ("export X={v}", [W]),
        ("echo $(( 1 + 2 )) {v}", [W]),
        ("f() { echo {v}; }", [W]),
        ("case {v} in x) echo {v};; esac", [W, W]),
        ("echo $(echo (a) {v})", [W]),
        ("echo\\\n{v}", [W]),
    ],
)
def test_each_placeholder_gets_the_context_bash_reads_it_in(
    text: str, expected: list[Context]
) -> None:
    assert contexts(text) == expected


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("echo $(( {v} ))", 9),
        ("echo $((1+$(echo {v})))", 17),
        ("echo ${x:1:{v}}", 11),
        ("[[ {v} -ge 1 ]]", 3),
        ("[[ -v {v} ]]", 6),
        ("x[{v}]=1", 2),
        ("cat <<'END'\n{v}\nEND", 12),
        ("cat <<E\\ND\n{v}\nEND", 11),
        ("echo ${{v}}", 7),
        ("cat <<{v}\nx\n", 6),
        ("echo ${!x} {v}", -1),
    ],
)
def test_refused_places_carry_the_offset_of_what_is_refused(text: str, offset: int) -> None:
    if offset < 0:
        assert contexts(text) == [W]  # `${!x}` holds no placeholder: only its own is refused
        return
    with pytest.raises(Refused) as found:
        contexts(text)
    assert found.value.offset == offset


def test_a_placeholder_in_an_indirect_expansion_is_refused() -> None:
    with pytest.raises(Refused, match="indirect"):
        contexts("echo ${!x:-{v}}")


@pytest.mark.parametrize(
    ("words", "runs"),
    [
        (["bash"], True),
        (["sh", "-x"], True),
        (["bash", "-o", "pipefail"], True),
        (["bash", "-s", "--", "a"], True),
        (["bash", "-"], True),
        (["sudo", "-u", "ada", "bash"], True),
        (["source", "/dev/stdin"], True),
        ([".", "/dev/fd/0"], True),
        (["bash", "/dev/stdin"], True),
        (["bash", "./job.sh"], False),
        (["bash", "-c", "cat"], False),
        (["grep", "-c", "bash"], False),
        (["source", "./env.sh"], False),
        (["cat"], False),
        (["xargs", "bash", "-c"], True),
        (["xargs", "-I{}", "sh", "-c", "echo {}"], True),
        (["xargs", "sh", "-c", 'echo "$1"', "_"], False),
    ],
)
def test_which_commands_run_their_stdin_as_shell_code(words: list[str], runs: bool) -> None:
    assert reads_code_from_stdin(words, 0) is runs


@pytest.mark.parametrize(
    "text",
    [
        *(
            "echo {v} | bash",
            "bash <<< {v}",
            "sh <<END\n{v}\nEND",
            "cat <<END | tee f | sh\n{v}\nEND",
        ),
        *("{ echo {v}; } | bash", "if :; then echo {v}; fi | bash", "( echo {v} ) | sh"),
    ],
)
def test_a_placeholder_that_reaches_a_shells_stdin_is_refused(text: str) -> None:
    with pytest.raises(Refused, match="reaches the stdin of"):
        contexts(text)


@pytest.mark.parametrize(
    "text",
    [
        "echo {v} || bash",
        "echo {v} | grep bash",
        "case {v} in bash|sh) :;; esac",
        "cat <<< {v}",
        "echo {v}; bash <<< hi",
    ],
)
def test_a_placeholder_beside_a_shell_that_does_not_read_it_is_accepted(text: str) -> None:
    assert contexts(text) != []
