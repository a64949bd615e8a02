"""The agent core: threads, turns and instructions. Never imports `pycodex.rpc` or `api`."""
