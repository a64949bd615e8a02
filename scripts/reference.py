"""Locate, or install with npm, the reference `codex` binary of @openai/codex 0.94.0.

Used by the protocol generator, the differential test kit and the benchmark. It never talks to
anything but the npm registry, and only when the cache is empty.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REFERENCE_VERSION = "0.94.0"
PACKAGE = f"@openai/codex@{REFERENCE_VERSION}"

_TRIPLES = {
    ("Linux", "x86_64"): "x86_64-unknown-linux-musl",
    ("Linux", "aarch64"): "aarch64-unknown-linux-musl",
    ("Darwin", "x86_64"): "x86_64-apple-darwin",
    ("Darwin", "arm64"): "aarch64-apple-darwin",
}


def cache_dir() -> Path:
    """Where the npm package is installed; PYCODEX_REFERENCE_CACHE overrides it."""
    override = os.environ.get("PYCODEX_REFERENCE_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pycodex" / f"codex-{REFERENCE_VERSION}"


def native_binary(root: Path | None = None) -> Path:
    """Path of the native binary inside the npm package (the Node launcher adds ~80 ms)."""
    triple = _TRIPLES.get((platform.system(), platform.machine()))
    if triple is None:
        raise RuntimeError(f"no reference binary for {platform.system()} {platform.machine()}")
    root = root or cache_dir()
    return root / "node_modules" / "@openai" / "codex" / "vendor" / triple / "codex" / "codex"


def ensure_reference(*, install: bool = True) -> Path:
    """Return the native reference binary, installing the npm package on first use."""
    binary = native_binary()
    if binary.exists():
        return binary
    if not install:
        raise FileNotFoundError(f"reference codex not installed at {binary}")
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required to install the reference codex binary")
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(root), PACKAGE],
        check=True,
        stdout=sys.stderr,
    )
    if not binary.exists():
        raise RuntimeError(f"npm installed {PACKAGE} but {binary} is missing")
    return binary


if __name__ == "__main__":
    sys.stdout.write(f"{ensure_reference()}\n")
