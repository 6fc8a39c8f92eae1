"""Fakes and harnesses shipped with Podium, so users can test their own scores and tools too."""
