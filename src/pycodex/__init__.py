"""pycodex: a Python implementation of the Codex app-server.

Kept import-free so that spawning the server stays cheap (see bench/).
"""

__version__ = "0.1.0"

# The Codex release whose app-server protocol pycodex implements; clients gate features on it.
PROTOCOL_VERSION = "0.94.0"
