"""Credentials never reach what Podium stores or shows."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.redact import MASK, Redactor, pieces, sparing, url_secrets

ENV = {
    "ANTHROPIC_API_KEY": "my-own-key-1234567",
    "HOME": "/home/ada",
    "GITHUB_TOKEN": "short",
    "PORT_AUTH": "12345678",
}


@pytest.mark.parametrize(
    "secret",
    [
        "sk-ant-api03-abcdefghijklmnop",
        "sk-proj-abcdefghijklmnopqrstu",
        "AIzaSyA1234567890abcdefghijklmnopqrs",
        "AKIAABCDEFGHIJKLMNOP",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "xoxb-1234567890-abcdef",
    ],
)
def test_well_known_token_shapes_are_masked(secret: str) -> None:
    out = Redactor({})(f"error: key {secret} rejected")
    assert secret not in out
    assert out == f"error: key {MASK} rejected"


def test_the_value_of_a_secret_looking_variable_is_masked_wherever_it_appears() -> None:
    redact = Redactor(ENV)
    assert redact("the agent said my-own-key-1234567!") == f"the agent said {MASK}!"
    # Short values, numbers and ordinary variables are left alone: masking them would
    # garble ordinary text.
    assert redact("short /home/ada 12345678") == "short /home/ada 12345678"


def test_assignments_and_bearer_headers_keep_their_name() -> None:
    redact = Redactor({})
    assert redact('api_key="abcdefgh12345"') == f'api_key="{MASK}"'
    assert redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz") == (
        f"Authorization: Bearer {MASK}"
    )
    assert redact("password: hunter2hunter2") == f"password: {MASK}"


def test_text_without_credentials_is_unchanged() -> None:
    text = "Hello from the fake provider.\nTokens: 2.7k sent, 7 received."
    assert Redactor(ENV)(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Created src/task-scheduler-service.py and disk-usage-report-2026.md",
        'api_key = os.environ["OPENAI_API_KEY"]',
        "password = get_password(user)",
    ],
)
def test_ordinary_code_and_names_are_left_alone(text: str) -> None:
    assert Redactor({})(text) == text


def test_a_score_variable_named_like_a_secret_is_masked_once_learned() -> None:
    redact = Redactor({})
    text = "deploying with tok-Quiet-Harbor-42 as ada-the-deployer"
    assert redact(text) == text
    redact.learn({"DEPLOY_TOKEN": "tok-Quiet-Harbor-42", "user": "ada-the-deployer", 3: "x"})
    assert redact(text) == f"deploying with {MASK} as ada-the-deployer"


@pytest.mark.parametrize(
    "name",
    [
        *("GITHUB_TOKEN", "db_password", "API_KEY", "apikey", "apiKey", "privateKey"),
        *("NPM_AUTH", "AWS_SECRET_ACCESS_KEY", "client_secret", "SLACKTOKEN", "key"),
        *("DB_PASS", "smtpPass", "GH_PAT"),
    ],
)
def test_a_name_that_says_it_holds_a_secret_is_learned(name: str) -> None:
    redact = Redactor({})
    redact.learn({name: "Ada Lovelace Wrote"})
    assert redact("by Ada Lovelace Wrote") == f"by {MASK}"


@pytest.mark.parametrize(
    "name", ["AUTHOR", "author", "KEYWORDS", "key_points", "MONKEY", "SSH_ASKPASS", "PATH"]
)
def test_a_name_that_only_contains_key_or_auth_in_a_word_is_not_a_secret(name: str) -> None:
    redact = Redactor({name: "Ada Lovelace Wrote"})
    redact.learn({name: "Ada Lovelace Wrote"})
    assert redact("by Ada Lovelace Wrote") == "by Ada Lovelace Wrote"


def test_only_text_values_of_secret_names_are_learned() -> None:
    redact = Redactor({})
    redact.learn({"DB_PASSWORD": 12345678901, "API_KEY": ["sk-a-list-value"], "A_KEY": "short"})
    assert redact("12345678901 sk-a-list-value short") == "12345678901 sk-a-list-value short"


_WORDS = st.sampled_from(
    [
        "sk-ant-abcdefghijklmnop",
        "Bearer abcdefghijklmnopqrstuv",
        "password: hunter2hunter2",
        "my-own-key-1234567",
        "ghp_" + "a" * 36,
        "plain",
        "words",
        ",",
        ";",
        "(",
        "\n",
        " ",
    ]
)


@given(st.lists(_WORDS, max_size=400), st.integers(128, 600))
def test_long_text_is_masked_in_pieces_as_it_would_be_whole(words: list[str], size: int) -> None:
    # Pieces of at least twice the longest word: a piece can always end between two words.
    text = " ".join(words)
    parts = list(pieces(text, size))
    assert "".join(parts) == text
    assert all(len(p) <= size for p in parts)
    whole = Redactor(ENV)
    assert "".join(whole(p) for p in parts) == whole(text)


def test_megabytes_of_output_are_masked_like_a_short_text() -> None:
    line = "token sk-ant-abcdefghijklmnop, more text; " * 50_000
    masked = Redactor(ENV)(line)
    assert "sk-ant-" not in masked
    assert masked.count(MASK) == 50_000


def test_names_are_spared_and_credentials_around_them_masked() -> None:
    redact = Redactor({})
    name = "sk-learn-pipeline-tuning"
    text = f"job {name} failed: key sk-ant-api03-abcdefghijklmnop rejected"
    assert sparing(redact, text, [name]) == f"job {name} failed: key {MASK} rejected"
    assert sparing(redact, name, [name]) == name
    assert sparing(redact, text, []) == f"job {MASK} failed: key {MASK} rejected"


def test_a_short_name_inside_a_credential_spares_nothing() -> None:
    redact = Redactor({"DEPLOY_TOKEN": "tok-Quiet-Harbor-42"})
    text = "key sk-ant-api03-abcdefghijklmnop and tok-Quiet-Harbor-42 rejected"
    assert sparing(redact, text, ["a", "e", "Quiet"]) == f"key {MASK} and {MASK} rejected"


def test_a_known_secret_is_masked_even_inside_a_name() -> None:
    redact = Redactor({"DEPLOY_TOKEN": "tok-Quiet-Harbor-42"})
    name = "/work/tok-Quiet-Harbor-42/ws"
    assert sparing(redact, name, [name]) == f"/work/{MASK}/ws"


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        (
            "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321",
            {"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"},
        ),
        ("ntfy://me:hunter22pass@ntfy.example.com/my-topic-x", {"hunter22pass", "my-topic-x"}),
        ("json://127.0.0.1:8080/hooks/path%2Fsecret", {"path%2Fsecret", "path/secret"}),
        ("ntfy://short", set()),
        ("not-a-url-at-all", {"not-a-url-at-all"}),
    ],
)
def test_a_service_url_holds_its_tokens_but_not_its_host(url: str, secrets: set[str]) -> None:
    assert url_secrets(url) == {url, *secrets}


def test_learned_urls_are_masked_whole_and_in_pieces() -> None:
    url = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
    redact = Redactor({})
    assert redact(f"to {url}") == f"to {url}"
    redact.learn_urls([url])
    assert redact(f"to {url}") == f"to {MASK}"
    assert redact("https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js") == (
        f"https://discord.com/api/webhooks/4174216298/{MASK}"
    )
