"""A reload of conductor.yaml: what changed, what needs a restart, and a bad file changes
nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.config import ConductorConfig, load
from podium.domain.errors import UserError
from podium.runtime.conductor_log import ConductorLog
from podium.runtime.settings import LiveSettings, differences


def test_differences_name_each_changed_setting_with_both_values() -> None:
    old = ConductorConfig()
    new = ConductorConfig.model_validate(
        {"max_concurrent_sheets": 3, "instruments": {"claude": {"max_concurrent": 2}}}
    )
    assert differences(old, new) == (
        "max_concurrent_sheets: 10 → 3",
        "instruments.claude.max_concurrent: None → 2",
    )
    assert differences(new, new) == ()


@pytest.fixture
def sink() -> Iterator[ConductorLog]:
    log = ConductorLog(detached=False)
    yield log
    log.close()


def live(path: Path, sink: ConductorLog, profile: str | None = None) -> LiveSettings:
    return LiveSettings(
        load(path, profile=profile),
        explicit=False,
        overrides={},
        log_sink=sink,
        state_dir=str(path.parent),
    )


def test_a_reload_reads_the_file_again_with_the_profile_it_started_with(
    tmp_path: Path, sink: ConductorLog
) -> None:
    path = tmp_path / "conductor.yaml"
    path.write_text("max_concurrent_sheets: 1\n")
    settings = live(path, sink, profile="dev")
    path.write_text("max_concurrent_sheets: 3\nmax_concurrent_jobs: 9\nsocket: {path: /x}\n")
    done = settings.reload()
    assert done.changed == ("max_concurrent_sheets: 1 → 3", "socket.path: None → '/x'")
    assert done.needs_restart == ("socket.path: None → '/x'",)
    assert settings.config.max_concurrent_jobs == 2  # the dev profile's


def test_an_invalid_file_on_reload_keeps_the_settings_in_force(
    tmp_path: Path, sink: ConductorLog
) -> None:
    path = tmp_path / "conductor.yaml"
    path.write_text("max_concurrent_sheets: 1\n")
    settings = live(path, sink)
    path.write_text("max_concurrent_sheets: 0\n")
    with pytest.raises(UserError, match="max_concurrent_sheets: Input should be greater"):
        settings.reload()
    assert settings.config.max_concurrent_sheets == 1


def test_the_log_file_is_taken_from_the_state_folder(tmp_path: Path, sink: ConductorLog) -> None:
    path = tmp_path / "conductor.yaml"
    assert live(path, sink).log_path() == tmp_path / "conductor.log"
    path.write_text("log_file: logs/c.log\n")
    assert live(path, sink).log_path() == tmp_path / "logs" / "c.log"
    path.write_text("log_file: /var/log/podium.log\n")
    assert live(path, sink).log_path() == Path("/var/log/podium.log")
