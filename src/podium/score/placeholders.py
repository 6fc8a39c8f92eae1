"""`{name}` placeholders in validation paths and commands, as Marianne's scores write them.

Only `{name}` where `name` is a known variable is replaced; anything else in braces (a Python
dict in an inline script, say) is left as written. In commands the values are shell-quoted.
"""

import re
import shlex
from collections.abc import Mapping

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(text: str, values: Mapping[str, object], *, quote: bool = False) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return shlex.quote(value) if quote else value

    return _FIELD.sub(replace, text)
