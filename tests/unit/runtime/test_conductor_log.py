"""The conductor's log: JSON lines with the job's fields, credentials masked, rotation, levels."""

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.redact import Redactor
from podium.runtime.conductor_log import ConductorLog, JsonFormatter, TextFormatter, job_fields

SECRET = "s3cr3t-value-of-the-key"
REDACT = Redactor({"MY_API_KEY": SECRET})


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("podium.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_holds_time_level_logger_message_and_the_jobs_fields() -> None:
    line = JsonFormatter(REDACT).format(record("sheet %s failed", 2, **job_fields("job-1", 2, 3)))
    found = json.loads(line)
    assert found["ts"].endswith("+00:00")
    del found["ts"]
    assert found == {
        "level": "warning",
        "logger": "podium.test",
        "message": "sheet 2 failed",
        "job_id": "job-1",
        "sheet": 2,
        "attempt": 3,
    }


def test_a_record_about_no_job_has_no_job_fields() -> None:
    assert set(json.loads(JsonFormatter().format(record("ready")))) == {
        "ts",
        "level",
        "logger",
        "message",
    }


def test_credentials_are_masked_in_messages_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"bad key {SECRET}")
    except RuntimeError:
        failed = record("using %s and sk-ant-abcdefghijklmnop", SECRET)
        failed.exc_info = sys.exc_info()
    found = json.loads(JsonFormatter(REDACT).format(failed))
    assert found["message"] == "using [REDACTED] and [REDACTED]"
    assert (
        SECRET not in found["exception"]
        and "RuntimeError: bad key [REDACTED]" in found["exception"]
    )
    assert SECRET not in TextFormatter(REDACT).format(record("key=%s", SECRET))


@pytest.fixture
def podium_log() -> Iterator[logging.Logger]:
    logger = logging.getLogger("podium.test.logs")
    yield logger
    root = logging.getLogger("podium")
    root.setLevel(logging.NOTSET)


def test_in_the_background_records_go_to_the_file_as_json_lines_at_the_level_set(
    tmp_path: Path, podium_log: logging.Logger
) -> None:
    sink = ConductorLog(detached=True, redact=REDACT)
    try:
        sink.apply("info", tmp_path / "conductor.log")
        podium_log.debug("not kept")
        podium_log.info("kept %s", SECRET, extra=job_fields("j"))
        sink.apply("debug", tmp_path / "conductor.log")
        podium_log.debug("now kept")
        sink.apply("debug", tmp_path / "other.log")
        podium_log.warning("elsewhere")
    finally:
        sink.close()
    lines = [json.loads(x) for x in (tmp_path / "conductor.log").read_text().splitlines()]
    assert [(x["message"], x.get("job_id")) for x in lines] == [
        ("kept [REDACTED]", "j"),
        ("now kept", None),
    ]
    assert json.loads((tmp_path / "other.log").read_text())["message"] == "elsewhere"


def test_in_the_foreground_records_are_readable_lines_on_stderr(
    tmp_path: Path, podium_log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = ConductorLog(detached=False)
    try:
        sink.apply("warning", tmp_path / "unused.log")
        podium_log.info("hidden")
        podium_log.warning("shown %d", 1)
    finally:
        sink.close()
    err = capsys.readouterr().err
    assert "WARNING podium.test.logs: shown 1" in err and "hidden" not in err
    assert not (tmp_path / "unused.log").exists()
