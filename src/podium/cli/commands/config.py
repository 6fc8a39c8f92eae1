"""`podium config show|set|path|init|check`: the conductor's settings (conductor.yaml).

YAML and the settings' model (pydantic) are imported by the actions that read or write the
file, not when the arguments are declared: `podium config --help` and completion stay fast."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from podium.cli import exits
from podium.cli.arguments import Formatter
from podium.cli.connect import client, conductor_info
from podium.domain.errors import UserError
from podium.host.bounded import CONFIG_MAX_BYTES, read_user_text
from podium.host.locations import Locations, locate
from podium.host.private import secure_state_dir
from podium.ipc.client import AnswerLate, ConductorUnavailable
from podium.ipc.methods import DAEMON_CONFIG, DAEMON_RELOAD


class Shown(TypedDict):
    """The settings `config show` prints: the running conductor's (a `ConfigResult`), or the
    file's when none runs."""

    config_file: str
    file_exists: bool
    profile: str | None
    settings: dict[str, object]
    warnings: list[str]


TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.config import LoadedConfig
    from podium.ipc.schema import ConfigResult

INVALID = 1
"""`check`: the file is not valid."""


def declare(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions = (
        ("show", "the settings in force: the running conductor's, else the file's"),
        ("path", "the conductor.yaml in use"),
        ("check", "validate conductor.yaml and show its warnings (exit 0 valid, 1 invalid)"),
        (
            "set",
            "set one setting (dotted key, YAML value) in conductor.yaml and reload a running "
            "conductor (its line is changed in place, comments kept; when it cannot be, the "
            "file is written out again without them)",
        ),
        ("init", "write a starter conductor.yaml listing every setting with its default"),
    )
    for name, summary in actions:
        action = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=Formatter,
        )
        action.add_argument("--config", metavar="FILE", help="this file instead of the default")
        if name in ("show", "check"):
            action.add_argument("--json", action="store_true", help="print JSON")
        if name == "set":
            action.add_argument("key", help="a dotted key: resource_limits.max_memory_mb")
            action.add_argument("value", help="a YAML value: 4096, debug, null, {a: 1}")
        if name == "init":
            action.add_argument("--force", "-f", action="store_true", help="overwrite the file")


def run(args: argparse.Namespace) -> int:
    return _ACTIONS[args.config_command](args)


def path_main(args: argparse.Namespace) -> int:
    locations = locate(config_file=args.config)
    print(locations.config_file)
    if not os.path.exists(locations.config_file):
        print(
            "(it does not exist: the defaults apply; 'podium config init' writes one)",
            file=sys.stderr,
        )
    return exits.OK


def show_main(args: argparse.Namespace) -> int:
    from podium.config import load  # noqa: PLC0415 - the settings' model, to read them

    locations = locate(config_file=args.config)
    live = _live_config(locations)
    shown: Shown
    if live is not None:
        source = "conductor"
        shown = live
    else:
        loaded = load(Path(locations.config_file), explicit=args.config is not None)
        source = "file"
        shown = _as_result(loaded)
    if args.json:
        print(json.dumps({"source": source, **shown}, indent=2))
        return exits.OK
    if source == "conductor":
        print(f"settings in force in the running conductor ({locations.socket})")
    else:
        print("the conductor is not running: the file's settings, with the defaults")
    where = shown["config_file"] + ("" if shown["file_exists"] else " (does not exist)")
    print(f"  file     {where}")
    if shown.get("profile"):
        print(f"  profile  {shown['profile']} (laid over the file)")
    print()
    for key, value in _flatten(shown["settings"]).items():
        print(f"{key}: {json.dumps(value)}")
    _print_warnings(shown["warnings"])
    return exits.OK


def check_main(args: argparse.Namespace) -> int:
    from podium.config import load  # noqa: PLC0415 - the settings' model, to read them

    path = Path(locate(config_file=args.config).config_file)
    try:
        loaded = load(path, explicit=args.config is not None)
    except UserError as exc:
        if args.json:
            print(json.dumps({"valid": False, "config_file": str(path), "errors": [str(exc)]}))
        else:
            print(f"invalid: {exc}")
        return INVALID
    if args.json:
        print(
            json.dumps(
                {
                    "valid": True,
                    "config_file": str(path),
                    "exists": loaded.exists,
                    "errors": [],
                    "warnings": list(loaded.warnings),
                },
                indent=2,
            )
        )
        return exits.OK
    if loaded.exists:
        print(f"{path} is valid")
    else:
        print(f"{path} does not exist: the defaults apply")
    _print_warnings(list(loaded.warnings))
    return exits.OK


def init_main(args: argparse.Namespace) -> int:
    from podium.config import starter_text  # noqa: PLC0415 - the settings' model, to list them

    locations = locate(config_file=args.config)
    path = Path(locations.config_file)
    if path.exists() and not args.force:
        raise UserError(f"{path} already exists; 'podium config init --force' overwrites it")
    _write(path, starter_text(), locations)
    print(f"wrote {path}")
    return exits.OK


def set_main(args: argparse.Namespace) -> int:
    import yaml  # noqa: PLC0415 - YAML and the settings' model, to change the file

    from podium.config import deep_merge, validate  # noqa: PLC0415
    from podium.config_file import read_settings  # noqa: PLC0415

    locations = locate(config_file=args.config)
    path = Path(locations.config_file)
    keys = args.key.split(".")
    if not all(keys):
        raise UserError(
            f"{args.key!r} is not a dotted key; write it as resource_limits.max_memory_mb"
        )
    try:
        value = yaml.safe_load(args.value)
    except yaml.YAMLError as exc:
        raise UserError(f"{args.value!r} is not a YAML value: {exc}") from None
    data, exists = read_settings(path)
    updated = deep_merge(data, _nested(keys, value))
    _, warnings = validate(updated, str(path))
    text = (
        read_user_text(path, CONFIG_MAX_BYTES, "the conductor config", "a YAML file")
        if exists
        else ""
    )
    new_text = _edit_in_place(text, keys, args.value, updated)
    _write(path, new_text if new_text is not None else _dump(updated), locations)
    print(
        f"set {args.key} to {json.dumps(value)} in {path}"
        + ("" if new_text is not None or not text.strip() else " (its comments were dropped)")
    )
    _print_warnings(warnings)
    return _reload(locations, path, args.key)


def _reload(locations: Locations, path: Path, key: str) -> int:
    from podium.config import PROFILES  # noqa: PLC0415 - loaded by set_main already

    live = _live_config(locations)
    if live is None:
        print("the conductor is not running; it reads the file when it starts")
        return exits.OK
    if Path(live["config_file"]) != path:
        print(
            f"the running conductor reads {live['config_file']}, not this file; "
            "restart it with --config to use this one"
        )
        return exits.OK
    with client(locations) as conductor:
        done = conductor.request(DAEMON_RELOAD({}))
    for line in done["changed"]:
        later = " (needs a restart)" if line in done["needs_restart"] else ""
        print(f"  reloaded: {line}{later}")
    profile = live.get("profile")
    if profile and key in _flatten(dict(PROFILES[profile])):
        print(f"  the conductor's profile {profile} sets {key}, which wins over the file")
    elif not done["changed"]:
        print("  the conductor was reloaded; nothing in force changed")
    return exits.OK


def _live_config(locations: Locations) -> ConfigResult | None:
    with client(locations) as conductor:
        if conductor_info(conductor) is None:
            return None
        try:
            found = conductor.request(DAEMON_CONFIG({}))
        except AnswerLate:
            raise
        except ConductorUnavailable:
            return None
    return found


def _as_result(loaded: LoadedConfig) -> Shown:
    return {
        "config_file": str(loaded.path),
        "file_exists": loaded.exists,
        "profile": loaded.profile,
        "settings": loaded.config.model_dump(mode="json"),
        "warnings": list(loaded.warnings),
    }


def _nested(keys: list[str], value: Any) -> dict[str, Any]:
    for key in reversed(keys):
        value = {key: value}
    result: dict[str, Any] = value
    return result


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_\-]+)[ \t]*:(?P<rest>.*)$")
_COMMENT = re.compile(r"[ \t]+#.*$")


def _edit_in_place(
    text: str, keys: list[str], written: str, expected: dict[str, Any]
) -> str | None:
    """`text` with the line of `keys` given the value `written`, its comments kept; None when
    the key has no line of its own to change or the result would not mean `expected`."""
    import yaml  # noqa: PLC0415 - YAML, to change the file

    if "\n" in written:
        return None
    lines = text.splitlines(keepends=True)
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        found = _KEY_LINE.match(line.rstrip("\n"))
        if found is None:
            continue
        indent = len(found["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if [k for _, k in stack] + [found["key"]] == keys:
            comment = _COMMENT.search(found["rest"])
            tail = comment.group(0) if comment else ""
            lines[i] = f"{found['indent']}{found['key']}: {written.strip()}{tail}\n"
            edited = "".join(lines)
            try:
                same = (yaml.safe_load(edited) or {}) == expected
            except yaml.YAMLError:
                return None
            return edited if same else None
        stack.append((indent, found["key"]))
    return _appended(text, keys, expected)


def _appended(text: str, keys: list[str], expected: dict[str, Any]) -> str | None:
    """`text` with a new top-level setting added at its end, when that is what it lacks."""
    import yaml  # noqa: PLC0415 - YAML, to change the file

    try:
        before = yaml.safe_load(text)
        if not isinstance(before, dict) or keys[0] in before or keys[0] not in expected:
            return None
        added = text.rstrip("\n") + "\n\n" + _dump({keys[0]: expected[keys[0]]})
        return added if yaml.safe_load(added) == expected else None
    except yaml.YAMLError:
        return None


def _dump(data: dict[str, Any]) -> str:
    import yaml  # noqa: PLC0415 - YAML, to change the file

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _write(path: Path, text: str, locations: Locations) -> None:
    """Replace the file at once: a conductor reloading meanwhile reads the old or the new."""
    if path.parent == Path(locations.state_dir):
        secure_state_dir(locations.state_dir)  # made here, it is made private as a start would
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # A new file is private: it may name an SMTP password or a webhook token.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}")


_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "show": show_main,
    "path": path_main,
    "check": check_main,
    "set": set_main,
    "init": init_main,
}
