"""Typed tools (phase 31): pure functions with a JSON-Schema descriptor, callable in process or over MCP."""
