"""The browser dashboard: `podium web`."""
