"""Differential test kit: run the reference `codex app-server` and pycodex on the same input.

Shared by `tests/diff/` and `bench/`; it must never send traffic anywhere but 127.0.0.1.
"""
