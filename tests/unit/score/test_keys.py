"""Every key of Marianne's score format is accepted, with its default and its meaning."""

from typing import Any

import pytest

from podium.score.model import ScoreModel
from tests.unit.score.helpers import BASE, compile_text, problems


def value(model: Any, path: str) -> Any:
    for part in path.split("."):
        model = (
            model[int(part)]
            if isinstance(model, list | dict) and part.isdigit()
            else (model[part] if isinstance(model, dict) else getattr(model, part))
        )
    return model


DEFAULTS = [
    ("workspace", "./workspace"),
    ("backend.type", "claude_cli"),
    ("backend.timeout_seconds", 1800.0),
    ("backend.max_output_capture_bytes", 51200),
    ("retry.max_retries", 3),
    ("retry.base_delay_seconds", 10.0),
    ("retry.max_delay_seconds", 3600.0),
    ("retry.exponential_base", 2.0),
    ("retry.jitter", True),
    ("retry.max_completion_attempts", 5),
    ("retry.completion_delay_seconds", 5.0),
    ("retry.completion_threshold_percent", 50.0),
    ("rate_limit.wait_minutes", 60),
    ("rate_limit.max_waits", 24),
    ("rate_limit.max_quota_waits", 48),
    ("circuit_breaker.failure_threshold", 5),
    ("circuit_breaker.recovery_timeout_seconds", 300.0),
    ("cost_limits.enabled", False),
    ("cost_limits.warn_at_percent", 80.0),
    ("stale_detection.idle_timeout_seconds", 300.0),
    ("parallel.enabled", False),
    ("parallel.max_concurrent", 3),
    ("parallel.fail_fast", True),
    ("concert.max_chain_depth", 5),
    ("concert.cooldown_between_jobs_seconds", 30.0),
    ("concert.inherit_workspace", True),
    ("isolation.mode", "worktree"),
    ("isolation.branch_prefix", "marianne"),
    ("isolation.cleanup_on_success", True),
    ("workspace_lifecycle.archive_naming", "iteration"),
    ("learning.enabled", True),
    ("grounding.timeout_seconds", 30.0),
    ("ai_review.on_low_score", "warn"),
    ("feedback.format", "json"),
    ("conductor.role", "human"),
    ("logging.level", "INFO"),
    ("state_backend", "sqlite"),
    ("pause_between_sheets_seconds", 2),
    ("cross_sheet", None),
    ("bridge", None),
    ("agent_card", None),
]


@pytest.mark.parametrize(("path", "expected"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_defaults_are_marianne_s(path: str, expected: Any) -> None:
    assert value(compile_text(BASE).model, path) == expected


SET = [
    ("description: d", "description", "d"),
    ("instrument_fallbacks: [a, b]", "instrument_fallbacks", ["a", "b"]),
    (
        "instruments: {x: {profile: codex-cli, config: {model: o3}}}",
        "instruments.x.profile",
        "codex-cli",
    ),
    (
        "movements: {1: {name: One, voices: 2, instrument_fallbacks: [a]}}",
        "movements.1.name",
        "One",
    ),
    (
        "backend: {timeout_overrides: {2: 60}, sheet_overrides: {1: {cli_model: m}}}",
        "backend.sheet_overrides.1.cli_model",
        "m",
    ),
    ("backend: {ollama: {num_ctx: 8192}}", "backend.ollama.num_ctx", 8192),
    ("retry: {max_retries: 0, jitter: false}", "retry.jitter", False),
    (
        "rate_limit: {detection_patterns: ['slow ?down'], max_waits: 3}",
        "rate_limit.detection_patterns",
        ["slow ?down"],
    ),
    ("circuit_breaker: {enabled: false}", "circuit_breaker.enabled", False),
    ("cost_limits: {max_cost_per_job: 20}", "cost_limits.enabled", True),
    (
        "stale_detection: {enabled: true, idle_timeout_seconds: 600}",
        "stale_detection.idle_timeout_seconds",
        600.0,
    ),
    (
        "parallel: {enabled: true, max_concurrent: 20, stagger_delay_ms: 500}",
        "parallel.stagger_delay_ms",
        500,
    ),
    (
        "cross_sheet: {auto_capture_stdout: true, capture_files: ['*.md']}",
        "cross_sheet.capture_files",
        ["*.md"],
    ),
    (
        "on_success: [{type: run_job, job_path: next.yaml, pause_before_chain: true}]",
        "on_success.0.pause_before_chain",
        True,
    ),
    ("concert: {enabled: true, concert_log_path: c.log}", "concert.concert_log_path", "c.log"),
    (
        "notifications: [{type: desktop, on_events: [job_failed]}]",
        "notifications.0.on_events",
        ["job_failed"],
    ),
    (
        "isolation: {enabled: true, mode: worktree, source_branch: main}",
        "isolation.source_branch",
        "main",
    ),
    (
        "workspace_lifecycle: {archive_on_fresh: true, max_archives: 3}",
        "workspace_lifecycle.max_archives",
        3,
    ),
    ("spec: {spec_dir: specs, include_claude_md: true}", "spec.spec_dir", "specs"),
    ("techniques: {tdd: {kind: skill, phases: [1, all]}}", "techniques.tdd.phases", [1, "all"]),
    (
        "agent_card: {name: a, description: d, skills: [{id: s, description: d}]}",
        "agent_card.skills.0.id",
        "s",
    ),
    (
        "learning: {exploration_rate: 0.2, auto_apply: {enabled: true}}",
        "learning.auto_apply.enabled",
        True,
    ),
    (
        "grounding: {enabled: true, hooks: [{type: file_checksum}]}",
        "grounding.hooks.0.type",
        "file_checksum",
    ),
    (
        "checkpoints: {enabled: true, triggers: [{name: t, sheet_nums: [2]}]}",
        "checkpoints.triggers.0.sheet_nums",
        [2],
    ),
    ("ai_review: {enabled: true, min_score: 50}", "ai_review.min_score", 50),
    ("feedback: {enabled: true, format: yaml}", "feedback.format", "yaml"),
    (
        "conductor: {name: me, role: ai, preferences: {prefer_minimal_output: true}}",
        "conductor.preferences.prefer_minimal_output",
        True,
    ),
    (
        "bridge: {enabled: true, mcp_servers: [{name: m, command: c}]}",
        "bridge.mcp_servers.0.command",
        "c",
    ),
    ("logging: {level: DEBUG, include_context: false}", "logging.include_context", False),
    ("state_backend: json", "state_backend", "json"),
    ("state_path: s.json", "state_path", "s.json"),
    ("pause_between_sheets_seconds: 0", "pause_between_sheets_seconds", 0),
]


@pytest.mark.parametrize(("snippet", "path", "expected"), SET, ids=[s[1] for s in SET])
def test_each_key_is_read(snippet: str, path: str, expected: Any) -> None:
    assert value(compile_text(BASE + snippet + "\n").model, path) == expected


SHEET_AND_PROMPT = [
    ("start_item: 2", "sheet.start_item", 2),
    ("descriptions: {1: first}", "sheet.descriptions", {1: "first"}),
    ("spec_tags: {1: [api]}", "sheet.spec_tags", {1: ["api"]}),
    ("prompt_extensions: {1: [extra.md]}", "sheet.prompt_extensions", {1: ["extra.md"]}),
    ("prelude: [{directory: docs, as: context, required: true}]", "sheet.prelude.0.as_", "context"),
    ("cadenzas: {2: [{file: notes.md, as: tool}]}", "sheet.cadenzas.2.0.file", "notes.md"),
    ("skip_when: {2: 'sheets.get(1) is None'}", "sheet.skip_when.2", "sheets.get(1) is None"),
    (
        "skip_when_command: {3: {command: 'test -e done', timeout_seconds: 5}}",
        "sheet.skip_when_command.3.timeout_seconds",
        5.0,
    ),
    ("per_sheet_instruments: {2: aider}", "sheet.per_sheet_instruments", {2: "aider"}),
    (
        "per_sheet_instrument_config: {2: {model: m}}",
        "sheet.per_sheet_instrument_config.2.model",
        "m",
    ),
    ("per_sheet_fallbacks: {2: []}", "sheet.per_sheet_fallbacks", {2: []}),
    ("instrument_map: {aider: [1, 3]}", "sheet.instrument_map", {"aider": [1, 3]}),
]


@pytest.mark.parametrize(
    ("snippet", "path", "expected"), SHEET_AND_PROMPT, ids=[s[1] for s in SHEET_AND_PROMPT]
)
def test_each_sheet_key_is_read(snippet: str, path: str, expected: Any) -> None:
    text = BASE.replace(
        "sheet: {size: 1, total_items: 3}", f"sheet:\n  size: 1\n  total_items: 3\n  {snippet}"
    )
    assert value(compile_text(text).model, path) == expected


def test_prompt_keys_are_read() -> None:
    model = compile_text(
        BASE.replace(
            'prompt: {template: "echo {{ sheet_num }}"}',
            'prompt: {template: "{{ stakes }}/{{ thinking_method }}", stakes: high, '
            "thinking_method: careful, prompt_extensions: [more.md], variables: {1: a}}",
        )
    ).model
    assert (model.prompt.stakes, model.prompt.thinking_method, model.prompt.variables) == (
        "high",
        "careful",
        {1: "a"},
    )


def test_marianne_writes_total_sheets_back_and_reads_it() -> None:
    text = BASE.replace("total_items: 3}", "total_items: 3, total_sheets: 3}")
    assert compile_text(text).plan.total_sheets == 3


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("cost_limits: {enabled: true}", "cost limits are enabled but no limit is set"),
        (
            "retry: {base_delay_seconds: 100, max_delay_seconds: 10}",
            "base_delay_seconds (100) must not exceed max_delay_seconds (10)",
        ),
        (
            "stale_detection: {idle_timeout_seconds: 10, check_interval_seconds: 30}",
            "check_interval_seconds (30) must be less than idle_timeout_seconds (10)",
        ),
        ("on_success: [{type: run_command}]", "a run_command hook needs 'command'"),
        ("notifications: [{type: webhook}]", "a webhook notification needs 'url'"),
        ("grounding: {enabled: true}", "grounding is enabled but has no hooks"),
        ("rate_limit: {detection_patterns: ['(']}", "detection_patterns[0] is not a valid"),
        (
            "bridge: {mcp_servers: [{name: m, command: c, env: {PATH: /x}}]}",
            "an MCP server's env cannot override PATH",
        ),
        ("parallel: {max_concurrent: 21}", "less than or equal to 20"),
        ("techniques: {x: {kind: magic, phases: []}}", "'magic' is not one of the choices"),
    ],
)
def test_each_block_checks_its_own_rules(snippet: str, message: str) -> None:
    [problem] = problems(BASE + snippet + "\n")
    assert message in problem


def test_the_model_knows_every_top_level_key_marianne_documents() -> None:
    documented = {
        "name",
        "description",
        "workspace",
        "instrument",
        "instrument_config",
        "instrument_fallbacks",
        "instruments",
        "movements",
        "backend",
        "sheet",
        "prompt",
        "validations",
        "retry",
        "rate_limit",
        "circuit_breaker",
        "cost_limits",
        "stale_detection",
        "parallel",
        "cross_sheet",
        "on_success",
        "concert",
        "notifications",
        "isolation",
        "workspace_lifecycle",
        "spec",
        "techniques",
        "agent_card",
        "learning",
        "grounding",
        "checkpoints",
        "ai_review",
        "feedback",
        "conductor",
        "bridge",
        "logging",
        "state_backend",
        "state_path",
        "pause_between_sheets_seconds",
    }
    podium_only = {"approvals"}  # Podium's name for `checkpoints`
    assert set(ScoreModel.model_fields) == documented | podium_only
