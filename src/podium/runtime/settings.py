"""The conductor's settings in force, and how a reload (SIGHUP, `daemon.reload`) changes them
without stopping anything: the engine gets its new limits as an event, stopping processes
reads the new grace, logging takes the new level and file."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.config import RESTART_ONLY, ConductorConfig, LoadedConfig, load
from podium.domain.events import Event, LimitsChanged
from podium.domain.limits import InstrumentKey
from podium.runtime.conductor_log import ConductorLog
from podium.runtime.context import WorkerContext

log = logging.getLogger("podium.conductor")


@dataclass(frozen=True, slots=True)
class Reloaded:
    """What a reload changed, as `key: old → new` lines."""

    changed: tuple[str, ...]
    needs_restart: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Appliers:
    """Where new settings go in a running conductor."""

    post: Callable[[Event], None]
    context: WorkerContext
    profile_caps: Callable[[], Mapping[InstrumentKey, int]]


class LiveSettings:
    """The settings read at start (file, then profile, then flags) and re-read on reload."""

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        explicit: bool,
        overrides: Mapping[str, Any],
        log_sink: ConductorLog,
        state_dir: str,
    ) -> None:
        self.loaded = loaded
        self._explicit = explicit
        self._overrides = dict(overrides)
        self._log = log_sink
        self._state_dir = state_dir
        self._appliers: Appliers | None = None

    @property
    def config(self) -> ConductorConfig:
        return self.loaded.config

    def log_path(self) -> Path:
        """The log file: `log_file` (relative to the state folder), or conductor.log there."""
        return Path(self._state_dir) / Path(self.config.log_file or "conductor.log").expanduser()

    def start_logging(self) -> None:
        self._log.apply(self.config.log_level, self.log_path())
        for warning in self.loaded.warnings:
            log.warning("%s", warning)

    def attach(self, appliers: Appliers) -> None:
        """Reloads reach the running parts from now on."""
        self._appliers = appliers

    def reload(self) -> Reloaded:
        """Read the same file again with the same profile and flags and apply what changed.
        An invalid file raises `UserError` and changes nothing."""
        old = self.loaded
        new = load(
            old.path, explicit=self._explicit, profile=old.profile, overrides=self._overrides
        )
        changed = differences(old.config, new.config)
        restart = tuple(c for c in changed if c.split(":", 1)[0] in RESTART_ONLY)
        self.loaded = new
        self._apply(new.config)
        for line in changed:
            if line in restart:
                log.warning("reload: %s needs a restart to take effect", line)
            else:
                log.info("reload: %s", line)
        for warning in new.warnings:
            log.warning("%s", warning)
        if not changed:
            log.info("reload: %s unchanged", old.path)
        return Reloaded(changed, restart, new.warnings)

    def _apply(self, config: ConductorConfig) -> None:
        self._log.apply(config.log_level, self.log_path())
        if self._appliers is not None:
            self._appliers.context.kill_grace_seconds = config.kill_grace_seconds
            self._appliers.post(LimitsChanged(config.limits(self._appliers.profile_caps())))


def differences(old: ConductorConfig, new: ConductorConfig) -> tuple[str, ...]:
    """Every setting that differs, as `dotted.key: old → new`, in the file's order."""
    before, after = flatten(old.model_dump()), flatten(new.model_dump())
    return tuple(
        f"{key}: {before.get(key)!r} → {after.get(key)!r}"
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    )


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` as `{"a.b": 1}` (an empty mapping holds no setting)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
