"""Where the conductor's state lives: SQLite, behind the `Store` port the runtime defines."""
