"""The auth package is core: importing all of it pulls in neither the rpc nor the api layer."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import pycodex.auth.credentials, pycodex.auth.headers, pycodex.auth.manager
import pycodex.auth.ratelimits, pycodex.auth.recovery, pycodex.auth.refresh
import pycodex.auth.storage, pycodex.auth.tokens
bad = sorted(m for m in sys.modules if m.startswith(("pycodex.rpc", "pycodex.api")))
print(",".join(bad))
"""


def test_auth_imports_no_rpc_or_api() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_package_import_is_lean() -> None:
    probe = "import sys, pycodex.auth; print('httpx2' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
