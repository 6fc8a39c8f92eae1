"""Where the conductor's state lives: SQLite by default, memory for tests."""
