"""The composition root: the daemon builds every part and wires them; `api/` holds the JSON-RPC
methods by area."""
