"""Phases 31-32: typed tools, an MCP server/client, the agent loop and the grammar tutor."""
