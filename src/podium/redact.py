"""Credentials out of what Podium stores and shows: prompts, output tails, error messages.

Two nets: the values of secret-looking variables (the conductor's environment, and each
score's `prompt.variables`: an API key an agent echoes back is caught whatever its format), and
the shapes of well-known tokens. Both the conductor and the CLI (`run --dry-run
--show-prompts`) mask with it, so it stands apart from either.
"""

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

MASK = "[REDACTED]"

_SECRET_NAME = re.compile(
    r"(?i:TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|(?<![a-z])(?:API)?(?:KEY|AUTH|PASS|PAT)S?$)"
    r"|(?<=[a-z])(?:Key|Auth|Pass)s?$"
)
"""Names of variables that hold a secret: `GITHUB_TOKEN`, `DB_PASSWORD`, `API_KEY`, `apiKey`,
`privateKey`, `NPM_AUTH`, `DB_PASS`, `GH_PAT`. `KEY`, `AUTH`, `PASS` and `PAT` count as the
last word of the name only, so that `AUTHOR`, `KEYWORDS`, `key_points`, `MONKEY` or
`SSH_ASKPASS` hold no secret: their values would be masked in every output."""
MIN_SECRET_CHARS = 8

_SHAPES = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:"
    + "|".join(
        (
            r"sk-ant-[A-Za-z0-9_\-]{8,}",  # Anthropic
            r"sk-(?:proj-)?[A-Za-z0-9_\-]{16,}",  # OpenAI and compatible
            r"AIza[0-9A-Za-z_\-]{30,}",  # Google
            r"(?:AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key ids
            r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub
            r"github_pat_[A-Za-z0-9_]{30,}",
            r"xox[abprs]-[A-Za-z0-9\-]{10,}",  # Slack
            r"glpat-[A-Za-z0-9_\-]{20,}",  # GitLab
        )
    )
    + r")"
)
"""Well-known token shapes, each starting a word (`task-scheduler` holds no `sk-` key)."""
_ASSIGNED = re.compile(
    r"""(?P<name>(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret|password|passwd)
        ["']?\s*[:=]\s*["']?)(?P<value>[^\s"',;()\[\]{}]{8,})(?=$|[\s"',;])""",
    re.IGNORECASE | re.VERBOSE,
)
_BEARER = re.compile(r"(?P<name>\bBearer\s+)(?P<value>[A-Za-z0-9._~+/\-]{16,}=*)")


class Redactor:
    """Replaces credentials with MASK. Built once from the conductor's environment; it learns
    the secret variables of each score compiled since, and never forgets them (a job's output
    may be read long after it ended)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._values = sorted(secret_values(environ.items()), key=len, reverse=True)

    def learn(self, variables: Mapping[Any, Any]) -> None:
        """Mask from now on the text values of `variables` whose names say they hold a secret
        (a score's `prompt.variables`: names and values of any type; only text counts)."""
        pairs = ((k, v) for k, v in variables.items() if isinstance(k, str) and isinstance(v, str))
        self._add(secret_values(pairs))

    def learn_urls(self, urls: Iterable[str]) -> None:
        """Mask from now on the secrets of service URLs (see `url_secrets`)."""
        self._add({secret for url in urls for secret in url_secrets(url)})

    def _add(self, values: set[str]) -> None:
        found = values - set(self._values)
        if found:
            # One assignment: a thread redacting meanwhile sees the old list or the new one.
            self._values = sorted({*self._values, *found}, key=len, reverse=True)

    def __call__(self, text: str, spare: Collection[str] = ()) -> str:
        """`text` with its credentials masked. A token shape found wholly inside one of the
        names in `spare` is left (`sk-learn-pipeline-tuning` is a job's name, not a key); a
        value the redactor knows as a secret is masked wherever it is, names included."""
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        if len(text) <= PIECE_CHARS:
            return _masked(text, spare)
        # A regex search holds the interpreter until it is done: megabytes of output are
        # searched piece by piece, so the conductor's other threads run in between.
        return "".join(_masked(piece, spare) for piece in pieces(text, PIECE_CHARS))


def _masked(text: str, spare: Collection[str]) -> str:
    if not any(p.search(text) for p in (_SHAPES, _ASSIGNED, _BEARER)):
        return text  # most text: then `spare` (every name of a long list) is not read
    names = [name for name in spare if name and name in text]
    text = _sub(_SHAPES, text, names, lambda m: MASK)
    text = _sub(_ASSIGNED, text, names, lambda m: m.group("name") + MASK)
    return _sub(_BEARER, text, names, lambda m: m.group("name") + MASK)


PIECE_CHARS = 64 * 1024
_SEPARATORS = ",;()[]{}<>|&!?*#"
"""Characters no credential shape reaches across, where a piece may end when no line ends
near enough."""


def pieces(text: str, size: int) -> Iterator[str]:
    """`text` in consecutive pieces of at most `size` characters, each ending, where it can,
    at a line end, else at a separator or a space no credential shape spans, so that each is
    masked as the whole would be. A run of `size / 2` characters with none of them (no real
    text has one) is cut where it must be."""
    start = 0
    while len(text) - start > size:
        low, end = start + size // 2, start + size
        cut = text.rfind("\n", low, end)
        if cut < 0:
            cut = max(*(text.rfind(c, low, end) for c in _SEPARATORS), _space(text, low, end))
        cut = end if cut < 0 else cut + 1
        yield text[start:cut]
        start = cut
    yield text[start:]


_SPANS_SPACE = re.compile(r"(?:[:=]\s*|\bBearer\s*)$", re.IGNORECASE)
"""What may precede a space inside a credential shape: `password: …`, `Bearer …`."""


def _space(text: str, low: int, end: int) -> int:
    """The last space in `text[low:end]` that no credential shape spans, or -1."""
    at = end
    while (at := text.rfind(" ", low, at)) >= 0:
        after = text[at + 1 : at + 2]
        if after not in (":", "=", " ") and not _SPANS_SPACE.search(text, max(0, at - 8), at):
            return at
    return -1


def _sub(
    pattern: re.Pattern[str], text: str, names: list[str], mask: Callable[[re.Match[str]], str]
) -> str:
    if not names:
        return pattern.sub(mask, text)
    kept = []
    for name in names:
        start = text.find(name)
        while start >= 0:
            kept.append((start, start + len(name)))
            start = text.find(name, start + 1)

    def one(match: re.Match[str]) -> str:
        inside = any(start <= match.start() and match.end() <= end for start, end in kept)
        return match.group(0) if inside else mask(match)

    return pattern.sub(one, text)


def secret_values(variables: Iterable[tuple[str, str]]) -> set[str]:
    """The values of variables whose names say they hold a secret."""
    return {
        value
        for name, value in variables
        if _SECRET_NAME.search(name) and len(value) >= MIN_SECRET_CHARS and not value.isdigit()
    }


_URL_SEPARATORS = re.compile(r"[/:@?&=,;#]+")
_HOST_NAME = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|[0-9]{1,3})"
)


def url_secrets(url: str) -> set[str]:
    """What a service URL holds that must not be shown: the whole URL, and each piece of it
    between separators (`/ : @ ? & = , ;`) of at least MIN_SECRET_CHARS characters, as
    written and decoded: tokens, passwords, webhook keys, ntfy topics. Host names, addresses
    and numbers are left: they say where, not how to get in."""
    _, found, rest = url.partition("://")
    secrets = {url}
    for piece in _URL_SEPARATORS.split(rest if found else url):
        for value in {piece, unquote(piece)}:
            long = len(value) >= MIN_SECRET_CHARS
            if long and not value.isdigit() and not _HOST_NAME.fullmatch(value):
                secrets.add(value)
    return secrets


def sparing(redact: Callable[[str], str], text: str, names: Collection[str]) -> str:
    """`text` redacted by `redact`, sparing the token shapes that lie inside `names` when it
    is a `Redactor` (see `Redactor.__call__`): the names of jobs, fleets and files the user
    chose, which they must read intact to address them."""
    if isinstance(redact, Redactor):
        return redact(text, names)
    return redact(text)
