"""`python -m podium.testing.fake_agent`."""

from podium.testing.fake_agent.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
