"""Where each placeholder of a shell command lands, in bash's quoting contexts.

`lex(text, spots)` walks a command as bash reads it — plain words, '…', "…", $'…', $(…) and
backticks (each a fresh command, also inside double quotes), ${…} parameter expansions,
here-documents, comments, redirections — and says for each placeholder which context holds
it, so that `podium.score.placeholders` can put there a reference to an environment variable
in the form that context needs. It refuses (`Refused`, with the offset of the placeholder)
every place where bash would read a value as code rather than as text: arithmetic (`$(( ))`,
`(( ))`, `$[ ]`, substring offsets, array subscripts), a quoted here-document delimiter (no
expansion there), the target of `>&` (expanded twice), a command that declares an integer or
reference variable (`declare -i`: whatever is assigned to it later is evaluated), text that
a shell reads as its script on its stdin (a here-string or here-document given to `bash`, a
command or a group piped into one), the words that `podium.score.shell_rules` names (`eval`,
`bash -c`, `read`, `[[ -eq ]]` …), and every construct it does not understand (fail
closed).

It reads one command's text and no more: which of bash's contexts a spot is in. Whether a
command later feeds a value to an interpreter is beyond any reading of its quoting.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from podium.score.shell_rules import (
    ARITHMETIC,
    DECLARES,
    PREFIXES,
    RESERVED,
    Refused,
    check_argument,
    check_assignment,
    check_condition,
    is_assignment,
    program,
    reads_code_from_stdin,
)


class Context(StrEnum):
    WORD = "word"
    """Unquoted, in a command (also inside `$(…)`, backticks and `${x:-…}`)."""
    DOUBLE = "double"
    """Inside double quotes, or in the body of a here-document whose delimiter is unquoted."""
    SINGLE = "single"
    ANSI = "ansi"
    """Inside `$'…'`."""
    COMMENT = "comment"


@dataclass(frozen=True, slots=True)
class Spot:
    start: int
    end: int
    name: str
    context: Context


_WORD_END = frozenset(" \t\n;&|<>()")
_REDIRECTION = re.compile(r"&>>?|[<>]&|>>|>\||<>|[<>]")


@dataclass(slots=True)
class _Heredoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool
    cmd: "_Command"


@dataclass(slots=True)
class _Word:
    start: int
    first_spot: int
    """Index into the lexer's `found` of the first placeholder at or after this word's start."""


@dataclass(slots=True)
class _Command:
    """The words of the simple command being read, for the rules that depend on them."""

    words: list[tuple[str, list[Spot]]] = field(default_factory=list)
    name: int | None = None
    """Index in `words` of the command's name, once known."""
    condition: bool = False
    """Inside `[[ … ]]`."""
    target: str | None = None
    """The redirection operator whose target is the next word (not one of the command's)."""
    stdin: list[Spot] = field(default_factory=list)
    """Placeholders in its here-strings and here-documents: what it reads on its stdin."""
    piped_into: "_Command | None" = None
    """The next command of its pipeline, which reads what this one writes."""
    before: list[Spot] = field(default_factory=list)
    """For the end of a compound command (`)`, `}`, `done`, `fi`, `esac`) piped on: every
    placeholder before it, as any of them may be in what the compound writes."""

    def spots(self) -> list[Spot]:
        return [spot for _, spots in self.words for spot in spots]


@dataclass(slots=True)
class _Reading:
    """Where `_Lexer.command` is: the word and the simple command being read."""

    closer: str | None
    cmd: _Command
    depth: int = 0
    word: _Word | None = None


def lex(text: str, spots: Mapping[int, tuple[int, str]]) -> list[Spot]:
    """The context of each placeholder of `text`; `spots` maps a placeholder's start offset to
    its end and its name. Raises `Refused`."""
    lexer = _Lexer(text, spots)
    lexer.command(0, len(text), closer=None, refuse=None)
    if lexer.found and lexer.evaluating_declaration is not None:
        # Whatever is assigned to such a variable later, anywhere in the command, is
        # evaluated; which assignment a value reaches is not for a lexer to follow.
        raise Refused(
            lexer.found[0].start,
            f"{{{lexer.found[0].name}}} is in a command that declares an integer or reference "
            f"variable (`{lexer.evaluating_declaration}`), whose assigned values bash "
            "evaluates; remove the option or the placeholder",
        )
    lexer.check_stdin()
    return lexer.found


class _Lexer:
    def __init__(self, text: str, spots: Mapping[int, tuple[int, str]]) -> None:
        self.text = text
        self.spots = spots
        self.found: list[Spot] = []
        self.heredocs: list[_Heredoc] = []
        self.evaluating_declaration: str | None = None
        """`declare -i …` or the like, once seen."""
        self.commands: list[_Command] = []

    def new_command(self) -> _Command:
        self.commands.append(_Command())
        return self.commands[-1]

    def check_stdin(self) -> None:
        """Refuses a placeholder whose value a shell reads as its script from its stdin:
        `bash <<< {x}`, a here-document given to `sh`, `echo {x} | bash`."""
        for cmd in self.commands:
            if cmd.stdin and _runs_its_stdin(cmd):
                _refuse_fed(cmd.stdin[0], cmd)
            fed = cmd.stdin + cmd.spots() + cmd.before
            downstream = cmd.piped_into
            while fed and downstream is not None:
                if _runs_its_stdin(downstream):
                    _refuse_fed(fed[0], downstream)
                downstream = downstream.piped_into

    def place(self, i: int, context: Context, refuse: str | None) -> int:
        end, name = self.spots[i]
        if refuse is not None:
            raise Refused(i, f"{{{name}}} is {refuse}".replace("{name}", "{" + name + "}"))
        self.found.append(Spot(i, end, name, context))
        return end

    def not_after_escape(self, i: int) -> None:
        if i in self.spots:
            raise Refused(i, f"{{{self.spots[i][1]}}} follows a backslash; remove the backslash")

    # ---- commands ------------------------------------------------------------------------

    def command(self, i: int, limit: int, *, closer: str | None, refuse: str | None) -> int:
        """Reads commands from `i`; returns the offset after `closer` (or `limit`)."""
        reading = _Reading(closer, self.new_command())
        while i < limit:
            char = self.text[i]
            if char in _WORD_END:
                self.finish_word(reading, i)
                i, closed = self.operator(i, limit, reading, refuse)
                if closed:
                    return i
            elif reading.word is None and char == "#":
                i = self.comment(i, limit, refuse)
            else:
                if reading.word is None:
                    reading.word = _Word(i, len(self.found))
                i = self.word_part(i, limit, refuse)
        self.finish_word(reading, limit)
        if closer is not None:
            raise Refused(limit, f"this command has no closing `{closer}`")
        return limit

    def word_part(self, i: int, limit: int, refuse: str | None) -> int:
        char = self.text[i]
        if i in self.spots:
            return self.place(i, Context.WORD, refuse)
        if char == "\\":
            self.not_after_escape(i + 1)
            return i + 2
        if char == "'":
            return self.single(i + 1, limit, refuse)
        if char == '"':
            return self.double(i + 1, limit, refuse)
        if char == "$":
            return self.dollar(i, limit, refuse, quoted=False)
        if char == "`":
            return self.backtick(i, limit, refuse)
        return i + 1

    def operator(
        self, i: int, limit: int, reading: "_Reading", refuse: str | None
    ) -> tuple[int, bool]:
        """Reads the blank or operator character at `i`; True once `reading.closer` closes."""
        text, char = self.text, self.text[i]
        if reading.cmd.condition and char != "\n":
            return i + 1, False  # `&&`, `(`, `<` … compare and group inside `[[ ]]`
        if text.startswith("((", i):
            return self.arithmetic(i + 2, limit, "))", f"in `(( ))`, {ARITHMETIC}"), False
        if text.startswith("<<<", i):
            reading.cmd.target = "<<<"
            return i + 3, False
        if text.startswith("<<", i):
            return self.heredoc_operator(i + 2, limit, reading.cmd), False
        redirection = _REDIRECTION.match(text, i)
        if redirection is not None:
            reading.cmd.target = redirection[0]
            return redirection.end(), False
        if char == ")" and reading.closer == ")":
            if reading.depth == 0:
                return i + 1, True
            reading.depth -= 1
        reading.depth += char == "("
        if char == "\n":
            reading.cmd = self.new_command()
            return self.heredoc_bodies(i + 1, limit, refuse), False
        return self.separator(i, reading), False

    def separator(self, i: int, reading: "_Reading") -> int:
        """After `;`, `&`, `|`, `(` or `)` a new command starts; a pipe's is told that it
        reads what the one before it writes."""
        text, char = self.text, self.text[i]
        if char not in ";&|()":
            return i + 1
        previous, reading.cmd = reading.cmd, self.new_command()
        if text.startswith("||", i):
            return i + 2
        if char == "|" and not _is_case(previous):  # `case x in a|b)`: patterns, no pipe
            previous.piped_into = reading.cmd
            if _ends_a_compound(previous):
                previous.before = list(self.found)
        return i + 1 + (char == "|" and text.startswith("|&", i))

    def finish_word(self, reading: "_Reading", end: int) -> None:
        if reading.word is not None:
            self.end_word(reading.cmd, reading.word, end, reading.closer)
            reading.word = None

    def not_a_word(self, cmd: _Command, raw: str, spots: list[Spot], end: int) -> bool:
        """Whether `raw` is a redirection's target or file descriptor rather than a word of
        the command; refuses a placeholder as the target of `>&` or `<&`."""
        if cmd.target is not None:
            target, cmd.target = cmd.target, None
            if target == "<<<":
                cmd.stdin += spots
            if spots and target in (">&", "<&"):
                name = "{" + spots[0].name + "}"
                raise Refused(
                    spots[0].start,
                    f"{name} is the target of `{target}`, which bash expands a second time "
                    f"when it is not a file descriptor; write `> {name}` or `&> {name}`",
                )
            return True
        # `2` in `2>&1`: the file descriptor of a redirection
        return raw.isdigit() and self.text.startswith(("<", ">"), end)

    def end_word(self, cmd: _Command, word: _Word, end: int, closer: str | None) -> None:
        raw = self.text[word.start : end]
        spots = self.found[word.first_spot :]
        if self.not_a_word(cmd, raw, spots, end):
            return
        cmd.words.append((raw, spots))
        if cmd.condition:
            if raw == "]]":
                check_condition([(w, _pairs(spots)) for w, spots in cmd.words])
                cmd.condition = False
            return
        if spots:
            check_assignment(raw, word.start, _pairs(spots))
        if cmd.name is None:
            if raw in RESERVED or program(raw) in PREFIXES or is_assignment(raw):
                return
            cmd.name = len(cmd.words) - 1
            cmd.condition = raw == "[["
            if raw == "case" and closer is not None:
                raise Refused(
                    word.start,
                    "a `case` inside `$(…)` or backticks is not supported "
                    "in a command with placeholders; move it out of the substitution",
                )
            return
        name = program(cmd.words[cmd.name][0])
        if name in DECLARES and raw.startswith(("-", "+")) and set(raw) & set("inaA"):
            self.evaluating_declaration = f"{name} {raw}"
        if spots:
            words = [w for w, _ in cmd.words]
            check_argument(words, cmd.name, spots[0].start - word.start, _pairs(spots)[0])

    def comment(self, i: int, limit: int, refuse: str | None) -> int:
        while i < limit and self.text[i] != "\n":
            i = self.place(i, Context.COMMENT, refuse) if i in self.spots else i + 1
        return i

    # ---- quotes --------------------------------------------------------------------------

    def single(self, i: int, limit: int, refuse: str | None) -> int:
        while i < limit:
            if i in self.spots:
                i = self.place(i, Context.SINGLE, refuse)
            elif self.text[i] == "'":
                return i + 1
            else:
                i += 1
        raise Refused(limit, "a single quote is not closed")

    def ansi(self, i: int, limit: int, refuse: str | None) -> int:
        while i < limit:
            if i in self.spots:
                i = self.place(i, Context.ANSI, refuse)
            elif self.text[i] == "'":
                return i + 1
            elif self.text[i] == "\\":
                self.not_after_escape(i + 1)
                if self.text.startswith("c", i + 1):  # \cX takes one more character
                    self.not_after_escape(i + 2)
                    i += 1
                i += 2
            else:
                i += 1
        raise Refused(limit, "a `$'` quote is not closed")

    def double(self, i: int, limit: int, refuse: str | None, *, closer: str | None = '"') -> int:
        """Inside double quotes; with `closer` None, a here-document body up to `limit`."""
        while i < limit:
            char = self.text[i]
            if i in self.spots:
                i = self.place(i, Context.DOUBLE, refuse)
            elif char == closer:
                return i + 1
            elif char == "\\":
                self.not_after_escape(i + 1)
                i += 2
            elif char == "$":
                i = self.dollar(i, limit, refuse, quoted=True)
            elif char == "`":
                i = self.backtick(i, limit, refuse)
            else:
                i += 1
        if closer is None:
            return limit
        raise Refused(limit, "a double quote is not closed")

    def backtick(self, i: int, limit: int, refuse: str | None) -> int:
        end = i + 1
        while end < limit and self.text[end] != "`":
            end += 2 if self.text[end] == "\\" else 1
        if end >= limit:
            raise Refused(i, "a backtick is not closed")
        inner = [s for s in self.spots if i < s < end]
        if inner and "\\" in self.text[i + 1 : end]:
            # Bash strips one level of backslashes here before it reads the command again.
            raise Refused(
                min(inner),
                "a placeholder inside backticks that contain a backslash "
                "is not supported; write the substitution as $(…)",
            )
        self.command(i + 1, end, closer=None, refuse=refuse)
        return end + 1

    # ---- $ -------------------------------------------------------------------------------

    def dollar(self, i: int, limit: int, refuse: str | None, *, quoted: bool) -> int:
        text = self.text
        if i + 1 in self.spots:
            raise Refused(
                i + 1,
                f"{{{self.spots[i + 1][1]}}} follows a `$`; write `$` apart "
                "from the placeholder (bash would read them as one expansion)",
            )
        if text.startswith("$((", i):
            return self.arithmetic(i + 3, limit, "))", f"in `$(( ))`, {ARITHMETIC}")
        if text.startswith("$(", i):
            return self.command(i + 2, limit, closer=")", refuse=refuse)
        if text.startswith("$[", i):
            return self.arithmetic(i + 2, limit, "]", f"in `$[ ]`, {ARITHMETIC}")
        if text.startswith("${", i):
            return self.parameter(i + 2, limit, refuse, quoted=quoted)
        if not quoted and text.startswith("$'", i):
            return self.ansi(i + 2, limit, refuse)
        if not quoted and text.startswith('$"', i):
            return self.double(i + 2, limit, refuse)
        return i + 1

    def parameter(self, i: int, limit: int, refuse: str | None, *, quoted: bool) -> int:
        text = self.text
        if text.startswith("!", i):
            refuse = refuse or "in an indirect expansion `${!…}`, which reads its value as a name"
        name = re.compile(r"[!#]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])?").match(text, i)
        assert name is not None  # the pattern matches the empty string
        if name.end() in self.spots:
            raise Refused(name.end(), "a placeholder cannot name a parameter in `${…}`")
        i = name.end()
        if text.startswith("[", i):
            i = self.arithmetic(i + 1, limit, "]", f"in an array subscript, {ARITHMETIC}")
        if text.startswith("}", i):
            return i + 1
        if text.startswith(":", i) and not text.startswith((":-", ":=", ":?", ":+"), i):
            return self.arithmetic(i + 1, limit, "}", f"in a substring offset, {ARITHMETIC}")
        if text.startswith("@", i):
            refuse = refuse or "in a parameter transformation `${x@…}`"
        return self.parameter_word(i, limit, refuse, quoted=quoted)

    def parameter_word(self, i: int, limit: int, refuse: str | None, *, quoted: bool) -> int:
        """The word after the operator of `${x:-word}`, `${x#pattern}` …, up to its `}`."""
        depth = 0
        while i < limit:
            char = self.text[i]
            if i in self.spots:
                i = self.place(i, Context.WORD, refuse)
            elif char == "}" and depth == 0:
                return i + 1
            elif char == "\\":
                self.not_after_escape(i + 1)
                i += 2
            elif char == "'" and not quoted:
                i = self.single(i + 1, limit, refuse)
            elif char == '"':
                i = self.double(i + 1, limit, refuse)
            elif char == "$":
                i = self.dollar(i, limit, refuse, quoted=quoted)
            elif char == "`":
                i = self.backtick(i, limit, refuse)
            else:
                depth += (char == "{") - (char == "}")
                i += 1
        raise Refused(limit, "a `${` is not closed")

    def arithmetic(self, i: int, limit: int, closer: str, why: str) -> int:
        """An arithmetic context up to `closer`: every placeholder in it, at any depth, is
        refused."""
        depth = 0
        while i < limit:
            char = self.text[i]
            if i in self.spots:
                self.place(i, Context.WORD, why)
            if depth == 0 and self.text.startswith(closer, i):
                return i + len(closer)
            if char == "\\":
                i += 2
            elif char == "'":
                i = self.single(i + 1, limit, why)
            elif char == '"':
                i = self.double(i + 1, limit, why)
            elif char == "$":
                i = self.dollar(i, limit, why, quoted=True)
            elif char == "`":
                i = self.backtick(i, limit, why)
            else:
                depth += (char in "([{") - (char in ")]}")
                if depth < 0:
                    raise Refused(i, f"cannot tell where this arithmetic ends (`{closer}`)")
                i += 1
        raise Refused(limit, f"an arithmetic expression has no closing `{closer}`")

    # ---- here-documents ------------------------------------------------------------------

    def heredoc_operator(self, i: int, limit: int, cmd: _Command) -> int:
        text = self.text
        strip = text.startswith("-", i)
        i += strip
        while i < limit and text[i] in " \t":
            i += 1
        delimiter, quoted = [], False
        while i < limit and text[i] not in _WORD_END:
            if i in self.spots:
                raise Refused(i, "a placeholder cannot be a here-document's delimiter")
            char = text[i]
            if char in "'\"":
                quoted = True
                end = text.find(char, i + 1, limit)
                if end < 0:
                    raise Refused(i, "a here-document's delimiter has an unclosed quote")
                if any(i < s < end for s in self.spots):
                    raise Refused(i, "a placeholder cannot be a here-document's delimiter")
                delimiter.append(text[i + 1 : end])
                i = end + 1
            elif char == "\\":
                quoted = True
                self.not_after_escape(i + 1)
                delimiter.append(text[i + 1 : i + 2])
                i += 2
            elif char in "$`":
                raise Refused(
                    i, "a here-document's delimiter with `$` or a backtick is not supported"
                )
            else:
                delimiter.append(char)
                i += 1
        if not delimiter:
            raise Refused(i, "a here-document has no delimiter")
        self.heredocs.append(_Heredoc("".join(delimiter), quoted, strip, cmd))
        return i

    def heredoc_bodies(self, i: int, limit: int, refuse: str | None) -> int:
        """Reads the bodies of the here-documents opened on the line that just ended."""
        pending, self.heredocs = self.heredocs, []
        for doc in pending:
            start, end, after = i, limit, limit
            while i < limit:
                line_end = self.text.find("\n", i, limit)
                line_end = limit if line_end < 0 else line_end
                line = self.text[i:line_end]
                if (line.lstrip("\t") if doc.strip_tabs else line) == doc.delimiter:
                    end, after = i, min(line_end + 1, limit)
                    break
                i = line_end + 1
            if doc.quoted:
                inner = [s for s in self.spots if start <= s < end]
                if inner:
                    raise Refused(
                        inner[0],
                        "a here-document with a quoted delimiter takes its "
                        "text as written, so a placeholder there would never be "
                        "filled in; unquote the delimiter (`<<END`)",
                    )
            else:
                before = len(self.found)
                self.double(start, end, refuse, closer=None)
                doc.cmd.stdin += self.found[before:]
            i = after
        return i


def _ends_a_compound(cmd: _Command) -> bool:
    return not cmd.words or cmd.words[0][0] in ("}", "done", "fi", "esac")


def _is_case(cmd: _Command) -> bool:
    return cmd.name is not None and cmd.words[cmd.name][0] == "case"


def _runs_its_stdin(cmd: _Command) -> bool:
    return cmd.name is not None and reads_code_from_stdin([w for w, _ in cmd.words], cmd.name)


def _refuse_fed(spot: Spot, reader: _Command) -> None:
    name = "{" + spot.name + "}"
    raise Refused(
        spot.start,
        f"{name} reaches the stdin of `{' '.join(w for w, _ in reader.words)}`, which runs "
        f"what it reads as shell code; give the value as data instead (an argument after "
        f"the script of `bash -c '…' _ {name}`, or a file)",
    )


def _pairs(spots: list[Spot]) -> list[tuple[int, str]]:
    return [(spot.start, spot.name) for spot in spots]
