from podium.web.security import (
    LOOPBACK_HOSTS,
    Guard,
    base_url,
    bearer,
    host_name,
    link,
    origin_ok,
    without_token,
)

GUARD = Guard("t0ken-value", frozenset(LOOPBACK_HOSTS))


def test_host_names_keep_their_address_without_the_port() -> None:
    assert host_name("127.0.0.1:8765") == "127.0.0.1"
    assert host_name("localhost") == "localhost"
    assert host_name("[::1]:8765") == "[::1]"
    assert host_name("[::1]") == "[::1]"


def test_only_loopback_names_are_answered_unless_remote_is_allowed() -> None:
    assert GUARD.host_allowed("127.0.0.1:8765")
    assert GUARD.host_allowed("localhost:8765")
    assert GUARD.host_allowed("[::1]:8765")
    assert not GUARD.host_allowed("evil.example:8765")
    assert not GUARD.host_allowed("127.0.0.1.evil.example")
    assert not GUARD.host_allowed(None)
    assert Guard("t", None).host_allowed("dashboard.lan:8765")


def test_the_form_token_is_tied_to_the_access_token() -> None:
    assert GUARD.csrf_ok(GUARD.csrf)
    assert not GUARD.csrf_ok(Guard("another", None).csrf)
    assert not GUARD.csrf_ok("")
    assert not GUARD.csrf_ok(None)
    assert GUARD.csrf != GUARD.token
    assert GUARD.token_ok("t0ken-value")
    assert not GUARD.token_ok("t0ken-valu")


def test_bearer_reads_only_a_bearer_header() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") is None
    assert bearer(None) is None


def test_a_browser_post_must_come_from_this_origin() -> None:
    assert origin_ok("http://127.0.0.1:8765", "http", "127.0.0.1:8765")
    assert not origin_ok("http://evil.example", "http", "127.0.0.1:8765")
    assert not origin_ok("null", "http", "127.0.0.1:8765")
    assert origin_ok(None, "http", "127.0.0.1:8765")


def test_the_token_leaves_the_address_and_nothing_else_does() -> None:
    assert without_token("/jobs/a", [("token", "x")]) == "/jobs/a"
    assert without_token("/", [("tab", "failed"), ("token", "x"), ("q", "a b")]) == (
        "/?tab=failed&q=a+b"
    )


def test_links_bracket_ipv6_and_carry_the_token_quoted() -> None:
    assert base_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert base_url("::1", 8) == "http://[::1]:8"
    assert link("http://h:1", "a+b/c") == "http://h:1/?token=a%2Bb%2Fc"
