"""JSON-RPC over JSONL as the Codex app-server speaks it; knows nothing of Codex itself."""
