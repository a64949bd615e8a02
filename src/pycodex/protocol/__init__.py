"""The Codex app-server wire protocol: generated models, method table and schema export."""
