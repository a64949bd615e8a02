"""Configuration: CODEX_HOME, config.toml, profiles and overrides, layered as the reference does."""
