"""Which variables an instrument receives, and PATHs joined (`podium.domain.environment`)."""

from podium.domain.environment import joined, passed_env

PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "PODIUM_ATTEMPT_ID": "j/1/1",
    "API_KEY": "k",
    "AWS_REGION": "eu",
    "STRAY_TOKEN": "s",
}


def test_without_required_env_everything_passes() -> None:
    assert passed_env(PARENT, None) == PARENT


def test_with_required_env_the_essentials_the_named_the_prefixed_and_podiums_own_pass() -> None:
    assert passed_env(PARENT, ("API_KEY", "AWS_*")) == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "PODIUM_ATTEMPT_ID": "j/1/1",
        "API_KEY": "k",
        "AWS_REGION": "eu",
    }
    assert passed_env(PARENT, ()) == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "PODIUM_ATTEMPT_ID": "j/1/1",
    }


def test_paths_are_joined_in_order_each_folder_once() -> None:
    assert joined("/a:/b", None, "/b:/c::", "") == "/a:/b:/c"
    assert joined() == ""
