"""The model package: Responses API requests, streaming and failures (never imports rpc/api)."""
