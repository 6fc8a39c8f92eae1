"""`podium mcp`: the conductor's verbs as tools of the Model Context Protocol, for agents.

A client of the conductor like the CLI: it talks to it only through `podium.ipc.client` and
the method table, and shows what the CLI's own views show. The MCP SDK is imported only here,
when `podium mcp` runs (`pip install 'podium[mcp]'`)."""
