"""The four scores each real CLI plays, one per scenario of the scripted provider.

Every score has one sheet that asks the agent to write `hello.txt` into its workspace, with
validations that decide whether it did: the file exists and holds the line the provider's
`write` tool call puts there (`content=`), which only a real tool call of the CLI can write.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from tests.realcli.hermetic import OPENCODE_PROVIDER, Cli, opencode_config

SCENARIOS = ("write", "rate_limit", "auth", "overloaded")

AUTH_FALLS_BACK = frozenset({"claude", "gemini", "aider"})
"""CLIs whose auth score has `instrument_fallbacks: [cli]`; the others' job fails with E502."""

RATE_LIMIT_MODEL = {
    "claude": "claude-sonnet-4-6",
    "codex": "gpt-5",
    "gemini": "gemini-2.5-flash-lite",
    "opencode": f"{OPENCODE_PROVIDER}/scripted-model",
    "aider": "openai/gpt-4.1",
}
"""The model the rate-limit sheet names. A window opens on (instrument, model) when the sheet
names one, so the other scenarios' sheets (on the CLI's default model) are not held by it and
each of them reaches the CLI, as the assertions about them expect."""

FAILING = {
    "claude": {
        "rate_limit": ("429", {"retry_after": 3, "fail_first": 1}),
        "overloaded": ("529", {"fail_first": 1}),
    },
    "codex": {
        "rate_limit": ("429", {"retry_after": 3, "fail_first": 1}),
        "overloaded": ("503", {"fail_first": 1}),
    },
    "gemini": {
        "rate_limit": ("429", {"retry_after": 3, "fail_first": 1}),
        "overloaded": ("503", {"fail_first": 1}),
    },
    # opencode and aider retry 429 and 5xx on their own, with no setting to stop them, so the
    # provider fails exactly as many requests as they make before giving up: then Podium sees
    # the error, and its next attempt gets the answer. opencode asks for a session title (3
    # tries) and the answer (6 tries): 9 requests, ~10 s on a 429 (it waits the Retry-After),
    # ~75 s on a 503 (2 s doubling). aider tries 9 times (0.25 s doubling to 32 s), each of them
    # 3 requests (openai-python's own 2 retries): 27 requests, ~85 s.
    "opencode": {
        "rate_limit": ("429", {"retry_after": 1, "fail_first": 9}),
        "overloaded": ("503", {"fail_first": 9}),
    },
    "aider": {
        "rate_limit": ("429", {"retry_after": 1, "fail_first": 27}),
        "overloaded": ("503", {"fail_first": 27}),
    },
}
"""How the provider fails each CLI's rate-limit and overloaded sheets before it answers."""

RETRY_BASE_DELAY = 1.0
"""`retry.base_delay_seconds`: the first retry comes after 0.5 to 1 times this (jitter)."""

RATE_LIMIT_WAIT_MINUTES = 1
"""`rate_limit.wait_minutes`, for a CLI whose message carries no reset time (the smallest)."""


def provider_scenario(cli: Cli, scenario: str) -> tuple[str, dict[str, object]]:
    """The provider's scenario for `cli`'s `scenario` score, and its settings."""
    settings: dict[str, object] = {"content": content_of(cli, scenario)}
    if scenario == "write":
        return "write", settings
    if scenario == "auth":
        return "401", settings
    name, failing = FAILING[cli.name][scenario]
    return name, {**settings, **failing, "then": "write"}


def content_of(cli: Cli, scenario: str) -> str:
    """The line the sheet's `hello.txt` must hold."""
    return f"written-by-{cli.name}-{scenario.replace('_', '-')}"


@dataclass(frozen=True)
class Staged:
    """A score written to disk, with what its assertions need to know about it."""

    scenario: str
    path: Path
    workspace: Path
    tag: str
    content: str
    falls_back: bool = False


def stage(cli: Cli, scenario: str, folder: Path, base_url: str, tag: str) -> Staged:
    """Write `cli`'s score for `scenario` into `folder`; the provider answers at `base_url`."""
    folder.mkdir(parents=True, exist_ok=True)
    workspace = folder / "ws"
    content = content_of(cli, scenario)
    settings: dict[str, object] = {"timeout_seconds": 300}
    if cli.name == "opencode":
        # opencode takes no base URL of its own: the provider's address is in its config file.
        settings["config_file"] = str(_opencode_config(folder, base_url))
    else:
        settings["base_url"] = base_url
    model = RATE_LIMIT_MODEL[cli.name] if scenario == "rate_limit" else cli.model
    if model is not None:
        settings["model"] = model
    falls_back = scenario == "auth" and cli.name in AUTH_FALLS_BACK
    score = {
        "name": f"{cli.name}-{scenario.replace('_', '-')}",
        "workspace": "./ws",
        "instrument": cli.profile,
        "instrument_config": settings,
        "pause_between_sheets_seconds": 0,
        "sheet": {"size": 1, "total_items": 1},
        "retry": {
            # The rate-limit score must complete without spending a single retry.
            "max_retries": 2 if scenario == "overloaded" else 0,
            "base_delay_seconds": RETRY_BASE_DELAY,
            "max_delay_seconds": 2,
            "max_completion_attempts": 0,
        },
        "rate_limit": {"wait_minutes": RATE_LIMIT_WAIT_MINUTES},
        "prompt": {"template": _prompt(content, falls_back)},
        "validations": [
            {"type": "file_exists", "path": "{workspace}/hello.txt"},
            {"type": "content_contains", "path": "{workspace}/hello.txt", "pattern": content},
        ],
    }
    if falls_back:
        score["instrument_fallbacks"] = ["cli"]
    path = folder / "score.yaml"
    path.write_text(json.dumps(score, indent=2))  # JSON is YAML
    return Staged(scenario, path, workspace, tag, content, falls_back)


def _prompt(content: str, falls_back: bool) -> str:
    ask = f"Create the file hello.txt in the workspace, holding the line {content}."
    if not falls_back:
        return ask
    # The template is rendered once, for the sheet's first instrument; the `cli` fallback runs
    # it as a bash script, to which the request is a comment.
    return f"# {ask}\nprintf '%s\\n' {content} > hello.txt\n"


def _opencode_config(folder: Path, base_url: str) -> Path:
    """opencode's config (as in the CLI's home) with the provider at `base_url`."""
    path = folder / "opencode.json"
    path.write_text(json.dumps(opencode_config(base_url), indent=2))
    return path
