"""Phase 31: the Model Context Protocol over stdio, by hand — framing, JSON-RPC 2.0, a server and a client.

`framing` puts one JSON object per line on a byte pipe; `jsonrpc` builds and checks the messages and names the
error codes; `server` answers `initialize`, `tools/list` and `tools/call` for any `miniagent.tools.Registry`;
`client` spawns a server and calls its tools. Both ends interoperate with the official `mcp` SDK (the tests
drive each against the other in real subprocesses).
"""
