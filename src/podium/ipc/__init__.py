"""JSON-RPC 2.0 over a Unix socket, one JSON object per line: the conductor's only door."""
