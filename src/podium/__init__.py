"""Podium: a conductor for long-running, multi-stage work done by CLI tools and AI agents."""

__version__ = "0.1.0"
