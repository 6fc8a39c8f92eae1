"""Reading conductor.yaml as written: a mapping of settings, before they are checked
(`podium.config` checks them). Kept apart, with YAML alone, so that a starting conductor can
find its socket in the file before it has imported the settings' model."""

from pathlib import Path
from typing import Any

import yaml

from podium.domain.errors import UserError
from podium.host.bounded import CONFIG_MAX_BYTES, RefusedFile, read_user_text


def read_settings(path: Path, *, explicit: bool = False) -> tuple[dict[str, Any], bool]:
    """The mapping written in `path` (empty when the file does not exist and was not named
    explicitly), and whether the file exists."""
    try:
        text = read_user_text(path, CONFIG_MAX_BYTES, "the conductor config", "a YAML file")
    except RefusedFile as exc:
        raise UserError(str(exc)) from None
    except FileNotFoundError:
        if explicit:
            raise UserError(
                f"no conductor config at {path}; write one with 'podium config init'"
            ) from None
        return {}, False
    except OSError as exc:
        raise UserError(f"cannot read the conductor config {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}, True
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return data, True
