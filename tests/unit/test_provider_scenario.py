"""Reading the scripted provider's scenario from a request path, and what it plays when."""

import pytest

from podium.testing.provider.routes import Route, route
from podium.testing.provider.scenario import (
    DEFAULT_CONTENT,
    DEFAULT_FILE,
    ScenarioError,
    format_scenario,
    parse_scenario,
    split_path,
)


def test_the_path_prefix_names_the_scenario_and_the_rest_is_the_api_path() -> None:
    scenario, rest = split_path("/s/429,retry_after=3,tag=t2/v1/messages?beta=true")
    assert scenario.name == "429"
    assert scenario.retry_after == 3
    assert scenario.tag == "t2"
    assert rest == "/v1/messages?beta=true"


def test_defaults_of_an_unconfigured_scenario() -> None:
    scenario = parse_scenario("write")
    assert (scenario.file, scenario.content) == (DEFAULT_FILE, DEFAULT_CONTENT)
    assert scenario.retry_after == 1
    assert scenario.then == "text"
    assert scenario.tag is None
    assert scenario.delay == 5.0
    assert parse_scenario("stall").delay == 3600.0


def test_format_and_parse_round_trip_values_with_commas_and_slashes() -> None:
    prefix = format_scenario("write", file="a/b,c.txt", content="x = 1", tag="t")
    scenario = parse_scenario(prefix)
    assert "/" not in prefix
    assert scenario.file == "a/b,c.txt"
    assert scenario.content == "x = 1"
    assert scenario.prefix == prefix
    said = parse_scenario(format_scenario("text", say="SCORE: 90\nREASON: fine, mostly"))
    assert said.say == "SCORE: 90\nREASON: fine, mostly"
    assert parse_scenario("text").say is None


@pytest.mark.parametrize(
    ("path", "wrong"),
    [
        ("/v1/messages", "names no scenario"),
        ("/s/418/v1/messages", "unknown scenario '418'"),
        ("/s/429,retry=3/v1/messages", "bad setting 'retry=3'"),
        ("/s/429,tag/v1/messages", "bad setting 'tag'"),
        ("/s/429,retry_after=soon/v1/messages", "retry_after='soon'"),
        ("/s/slow,delay=-1/v1/messages", "delay='-1'"),
        ("/s/429,fail_for=x/v1/messages", "fail_for='x'"),
        ("/s/429,fail_first=1,then=429/v1/messages", "then='429'"),
    ],
)
def test_a_wrong_prefix_is_refused_with_what_to_write(path: str, wrong: str) -> None:
    with pytest.raises(ScenarioError, match=wrong):
        split_path(path)


@pytest.mark.parametrize(
    ("prefix", "nth", "since_first", "expected"),
    [
        ("text", 5, 99.0, "text"),
        ("write", 0, 0.0, "write"),
        ("429", 7, 99.0, "429"),
        ("429,fail_first=2,then=write", 0, 0.0, "429"),
        ("429,fail_first=2,then=write", 1, 0.0, "429"),
        ("429,fail_first=2,then=write", 2, 0.0, "write"),
        ("503,fail_first=0", 0, 0.0, "text"),
        ("503,fail_for=3", 9, 2.9, "503"),
        ("503,fail_for=3", 9, 3.0, "text"),
        ("stall,fail_first=1", 1, 0.0, "text"),
        ("slow,delay=1", 3, 0.0, "slow"),
    ],
)
def test_an_error_plays_for_the_first_requests_or_seconds_then_the_reply(
    prefix: str, nth: int, since_first: float, expected: str
) -> None:
    assert parse_scenario(prefix).behaviour(nth, since_first) == expected


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/messages?beta=true", Route("anthropic")),
        ("POST", "/v1/messages/count_tokens", Route("count_tokens")),
        ("POST", "/v1/chat/completions", Route("chat")),
        ("POST", "/chat/completions", Route("chat")),
        ("POST", "/v1/responses", Route("responses")),
        ("POST", "/v1beta/models/g-1:generateContent", Route("gemini", "g-1")),
        ("POST", "/v1beta/models/g-1:streamGenerateContent?alt=sse", Route("gemini", "g-1", True)),
        ("POST", "/v1beta/models/g-1:countTokens", Route("count_tokens", "g-1")),
        ("POST", "/v1beta/models/g-1:embedContent", None),
        ("GET", "/v1/models", Route("models")),
        ("GET", "/v1/messages", None),
        ("PUT", "/v1/messages", None),
        ("POST", "/v2/other", None),
    ],
)
def test_routes_name_the_api_of_each_endpoint(
    method: str, path: str, expected: Route | None
) -> None:
    assert route(method, path) == expected


def test_only_model_calls_are_counted_and_failed_by_scenarios() -> None:
    assert Route("gemini").is_model_call
    assert not Route("models").is_model_call
    assert not Route("count_tokens").is_model_call
