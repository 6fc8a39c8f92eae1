"""A job's `on_success` hooks, and the concert log of a chain."""
