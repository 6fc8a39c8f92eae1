"""`python -m podium.testing.provider [--port 8765] [--trap-port 8766] [--log FILE]`.

Starts the scripted provider and its trap proxy, prints how to point each agent CLI at them, and
serves until interrupted (Ctrl-C or SIGTERM).
"""

import argparse
import signal
import sys
import threading

from podium.testing.provider.server import ScriptedProvider


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m podium.testing.provider",
        description="Serve scripted model replies on 127.0.0.1 for agent CLIs (offline rehearsal).",
    )
    parser.add_argument("--port", type=int, default=8765, help="provider port (0: any free port)")
    parser.add_argument("--trap-port", type=int, default=8766, help="trap proxy port (0: any)")
    parser.add_argument("--log", metavar="FILE", help="append every request as a JSON line here")
    args = parser.parse_args(argv)
    try:
        provider = ScriptedProvider(log_path=args.log, port=args.port, trap_port=args.trap_port)
        provider.start()
    except OSError as error:
        print(
            f"cannot listen on 127.0.0.1 ports {args.port} and {args.trap_port}: {error}; "
            "choose others with --port and --trap-port (0 picks a free one)",
            file=sys.stderr,
        )
        return 2
    print(instructions(provider), flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
        print("stopping", file=sys.stderr)
    finally:
        provider.stop()
    return 0


LOOPBACK = "127.0.0.1,localhost"


def proxy_exports(trap_url: str) -> list[str]:
    """Shell lines that send every proxied request to the trap, loopback excepted. Each CLI
    reads one spelling or another, so both cases are set."""
    names = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
    upper = " ".join(f"{name}={trap_url}" for name in names)
    lower = " ".join(f"{name.lower()}={trap_url}" for name in names)
    return [f"export {upper}", f"export {lower}", f"export NO_PROXY={LOOPBACK} no_proxy={LOOPBACK}"]


def instructions(provider: ScriptedProvider) -> str:
    """How to point each CLI at the provider, with the `text` scenario as the example."""
    text = provider.base_url("text")
    return "\n".join(
        [
            f"scripted provider: {provider.url}   (scenario in the path: {text})",
            f"trap proxy:        {provider.trap_url}   (refuses everything, records targets)",
            "",
            "every CLI, and the conductor that starts them: the trap as their proxy",
            *(f"  {line}" for line in proxy_exports(provider.trap_url)),
            f"claude:     ANTHROPIC_BASE_URL={text} ANTHROPIC_API_KEY=sk-ant-scripted",
            'codex:      config.toml custom provider, wire_api = "responses", '
            f'base_url = "{text}/v1", OPENAI_API_KEY=sk-scripted',
            f"gemini:     GOOGLE_GEMINI_BASE_URL={text} GEMINI_API_KEY=scripted",
            f"opencode:   @ai-sdk/openai-compatible provider with baseURL {text}/v1",
            f"aider:      OPENAI_API_BASE={text}/v1 OPENAI_API_KEY=sk-scripted "
            "--model openai/gpt-4o",
            "",
            "scenarios: text write call 429 quota 401 403 500 503 529 slow stall; settings: "
            "file= content= retry_after= fail_first= fail_for= then= delay= tag= tools= "
            "arguments=",
            "see docs/rehearsal.md; Ctrl-C stops",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
