"""`podium service`: the platform it writes for when none is named."""

import pytest

from podium.cli.commands.service import this_platform
from podium.domain.errors import UserError


def test_the_service_platform_follows_the_system() -> None:
    assert this_platform("linux") == "linux"
    assert this_platform("darwin") == "macos"
    with pytest.raises(UserError, match=r"no service manager on freebsd14.*'podium start'"):
        this_platform("freebsd14")
