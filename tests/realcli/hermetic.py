"""One sealed home per agent CLI: its config files, dummy keys, its own retries capped, and every
route off the machine closed.

Each CLI gets a HOME (and TMPDIR) of its own under the test's folder, with the files the real
CLI reads at start-up written there (reference: agent-clis.md §3), so nothing of the user's own
setup leaks in and nothing the CLI writes leaks out. Every CLI's traffic goes through the
scripted provider's trap proxy except to loopback (`NO_PROXY`), so an attempt to reach the
internet is refused and recorded instead of made.
"""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1,localhost"

GEMINI_MODEL = "gemini-2.5-flash"
"""Pinned: with the default "auto", every prompt first goes to a router model that retries on
its own for over a minute whatever `maxAttempts` says."""

CODEX_PROVIDER = "podium"
UNSET_URL = "http://127.0.0.1:9/unset/v1"
"""Where the configs in a CLI's home point: nowhere (the discard port). Each score gives the
scripted provider's address of its scenario instead (`instrument_config`)."""
OPENCODE_PROVIDER = "scripted"


@dataclass(frozen=True)
class Cli:
    """One agent CLI: its executable, the built-in profile that drives it, and how its base URL
    ends (OpenAI-style clients are given the `/v1` root, the others the bare server)."""

    name: str
    profile: str
    api_root: str = ""
    model: str | None = None
    """The model the scores ask for (None: the one the CLI's config names)."""


CLIS = {
    "claude": Cli("claude", "claude-code"),
    "codex": Cli("codex", "codex-cli", api_root="/v1"),
    "gemini": Cli("gemini", "gemini-cli"),
    "opencode": Cli("opencode", "opencode", api_root="/v1"),
    "aider": Cli("aider", "aider", api_root="/v1", model="openai/gpt-4o"),
}


def realcli_root() -> Path:
    """Where `tests/realcli/install` put the CLIs (its `bin/`, npm folders and aider's venv)."""
    configured = os.environ.get("PODIUM_REALCLI_HOME")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "podium-realcli"


def missing_clis(bin_dir: Path) -> list[str]:
    return [name for name in CLIS if not os.access(bin_dir / name, os.X_OK)]


def environment(cli: Cli, folder: Path, *, root: Path, trap_url: str) -> dict[str, str]:
    """Prepare `folder` as `cli`'s sealed home and return the environment to run it (and the
    conductor that runs it) in. Nothing of the caller's environment passes but PATH."""
    home, tmp = folder / "home", folder / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {
        "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        **{name: trap_url for name in PROXY_VARIABLES},
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
    }
    env.update(SETUP[cli.name](home, root))
    return env


PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
)


def _claude(home: Path, root: Path) -> dict[str, str]:
    return {
        "ANTHROPIC_API_KEY": "sk-ant-scripted-key",
        "IS_SANDBOX": "1",  # else --dangerously-skip-permissions refuses to run as root
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "0",
        "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY": "1",
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_UPDATES": "1",
        "DISABLE_BUG_COMMAND": "1",
        "DISABLE_GROWTHBOOK": "1",
        "DISABLE_INSTALLATION_CHECKS": "1",
        "DISABLE_NON_ESSENTIAL_MODEL_CALLS": "1",
    }


CODEX_CONFIG = f"""\
model = "gpt-5-codex"
model_provider = "{CODEX_PROVIDER}"
check_for_update_on_startup = false
model_reasoning_effort = "low"

# The provider the codex-cli profile defines for instrument_config.base_url: codex merges its
# -c table into this one, so the retry caps hold for every score with a base_url.
[model_providers.{CODEX_PROVIDER}]
name = "{CODEX_PROVIDER}"
base_url = "{UNSET_URL}"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
supports_websockets = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
log_user_prompt = false

# Each of these made codex reach github.com, api.github.com or chatgpt.com.
[features]
plugins = false
remote_plugin = false
plugin_sharing = false
apps = false
tool_suggest = false
api_key_model_discovery = false
in_app_updates = false
daemon_auto_start = false
browser_use = false
browser_use_external = false
computer_use = false
image_generation = false
skill_mcp_dependency_install = false
"""


def _codex(home: Path, root: Path) -> dict[str, str]:
    codex_home = home / ".codex"  # must exist before codex starts
    codex_home.mkdir(exist_ok=True)
    (codex_home / "config.toml").write_text(CODEX_CONFIG)
    return {"CODEX_HOME": str(codex_home), "OPENAI_API_KEY": "sk-scripted-key"}


def _gemini(home: Path, root: Path) -> dict[str, str]:
    # In the form Gemini CLI migrates its settings to: given an older key (`disableAutoUpdate`,
    # `disableUpdateNag`), it rewrites the file as it starts, and another gemini starting at
    # the same moment reads it half-written ("Unexpected end of JSON input", exit 52).
    settings = {
        "general": {
            "enableAutoUpdate": False,
            "enableAutoUpdateNotification": False,
            "maxAttempts": 1,
        },
        "model": {"name": GEMINI_MODEL},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
        "ui": {"hideBanner": True, "hideTips": True},
    }
    _write_json(home / ".gemini" / "settings.json", settings)
    return {
        "GEMINI_API_KEY": "scripted-gemini-key",
        "GEMINI_TELEMETRY_ENABLED": "false",
        "GEMINI_CLI_NO_RELAUNCH": "true",
    }


def _opencode(home: Path, root: Path) -> dict[str, str]:
    config_dir = home / ".config" / "opencode"
    # opencode installs this plugin package into its config folder from the npm registry on
    # every run unless it is already there.
    shutil.copytree(root / "npm" / "opencode-plugin", config_dir, symlinks=True, dirs_exist_ok=True)
    config_file = config_dir / "opencode.json"
    _write_json(config_file, opencode_config(UNSET_URL))
    return {
        "OPENCODE_CONFIG": str(config_file),
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
        "OPENCODE_DISABLE_SHARE": "1",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
        "OPENCODE_DISABLE_TERMINAL_TITLE": "1",
    }


def _aider(home: Path, root: Path) -> dict[str, str]:
    # aider downloads litellm's price map from GitHub unless its cache holds a copy less than
    # a day old: seed it from the copy litellm ships, fresh.
    [shipped] = (root / "aider-venv" / "lib").glob(
        "python3*/site-packages/litellm/model_prices_and_context_window_backup.json"
    )
    cache = home / ".aider" / "caches" / "model_prices_and_context_window.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shipped, cache)
    now = time.time()
    os.utime(cache, (now, now))
    return {
        "OPENAI_API_KEY": "sk-scripted-key",
        "AIDER_ANALYTICS_DISABLE": "true",
        "AIDER_CHECK_UPDATE": "false",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


def opencode_config(base_url: str) -> dict[str, object]:
    """opencode's config with one provider, an OpenAI-compatible one at `base_url`."""
    return {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False,
        "share": "disabled",
        "model": f"{OPENCODE_PROVIDER}/scripted-model",
        "small_model": f"{OPENCODE_PROVIDER}/scripted-model",
        "provider": {
            OPENCODE_PROVIDER: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Scripted provider",
                "options": {"baseURL": base_url, "apiKey": "scripted-key"},
                "models": {
                    "scripted-model": {
                        "name": "Scripted model",
                        "tool_call": True,
                        "limit": {"context": 128000, "output": 8192},
                    }
                },
            }
        },
        "permission": {"edit": "allow", "bash": "allow", "webfetch": "deny"},
        "lsp": False,
        "formatter": False,
    }


def warm_up(cli: Cli, env: Mapping[str, str]) -> None:
    """What a CLI must do once before several of it run at once in a fresh home.

    opencode creates its database on first use; four first runs at once race to create its
    tables and all but one fail ("Failed query: CREATE TABLE `workspace`")."""
    if cli.name != "opencode":
        return
    done = subprocess.run(
        ["opencode", "session", "list"],
        env=dict(env),
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"opencode session list exited {done.returncode}:\n{done.stderr}")


SETUP = {
    "claude": _claude,
    "codex": _codex,
    "gemini": _gemini,
    "opencode": _opencode,
    "aider": _aider,
}


def _write_json(path: Path, value: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2))
