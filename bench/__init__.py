"""Side-by-side benchmark of pycodex and the reference `codex app-server`; see bench/README.md."""
