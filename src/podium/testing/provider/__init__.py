"""A scripted model provider on 127.0.0.1, to run real agent CLIs offline against scenarios.

    with ScriptedProvider() as provider:
        env = {"ANTHROPIC_BASE_URL": provider.base_url("write", tag="t1")}
        ...  # run `claude -p ...` with env; it writes hello.txt, then says "Done."
        provider.requests(tag="t1")

It speaks Anthropic's Messages API, OpenAI's Chat Completions and Responses APIs and the Gemini
API; the scenario (`text`, `write`, `call`, `429`, `quota`, `401`, `403`, `500`, `503`, `529`,
`slow`, `stall`) is named in the path of the base URL. See docs/rehearsal.md.
"""

from podium.testing.provider.scenario import Scenario, ScenarioError, parse_scenario
from podium.testing.provider.server import ProviderRequest, ScriptedProvider

__all__ = ["ProviderRequest", "Scenario", "ScenarioError", "ScriptedProvider", "parse_scenario"]
