"""The conductor's JSON-RPC methods, one module per area."""
