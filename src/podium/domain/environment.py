"""Which variables of an environment an instrument receives, and PATHs joined: the same rules
on the conductor's machine and on any other that runs attempts."""

from collections.abc import Mapping, Sequence

ESSENTIAL_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "TERM",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TMPDIR",
        "TMP",
        "TEMP",
        "TZ",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        # Network settings every CLI needs to reach its provider at all.
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NODE_EXTRA_CA_CERTS",
        "REQUESTS_CA_BUNDLE",
    }
)
"""What an instrument with `required_env` still receives, with every `PODIUM_*` variable."""


def passed_env(parent_env: Mapping[str, str], required_env: Sequence[str] | None) -> dict[str, str]:
    """What of `parent_env` an instrument receives: all of it, or with `required_env` (names
    and `PREFIX_*` entries) the essentials, those, and every `PODIUM_*` variable."""
    if required_env is None:
        return dict(parent_env)
    names = {n for n in required_env if not n.endswith("*")}
    prefixes = tuple(n[:-1] for n in required_env if n.endswith("*"))
    return {
        k: v
        for k, v in parent_env.items()
        if k in ESSENTIAL_ENV or k in names or k.startswith(("PODIUM_", *prefixes))
    }


def joined(*paths: str | None) -> str:
    """PATHs searched one after the other, as one (each folder once, in order)."""
    folders = (f for p in paths if p for f in p.split(":") if f)
    return ":".join(dict.fromkeys(folders))
