"""Small pieces of English shared by messages."""


def count(n: int, noun: str) -> str:
    """'1 sheet', '3 sheets'."""
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"
