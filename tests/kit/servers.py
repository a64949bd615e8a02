"""The two command lines under comparison; one place, shared by the tests and the benchmark."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pycodex_argv() -> list[str]:
    """The repo's venv interpreter (what users get from `uv sync`), else the running one."""
    venv_python = ROOT / ".venv" / "bin" / "python"
    python = venv_python if venv_python.exists() else Path(sys.executable)
    return [str(python), "-m", "pycodex", "app-server"]


def reference_argv() -> list[str]:
    """The native reference binary (not the npm launcher, which adds ~80 ms and ~43 MB).

    Installs it with npm on first use; raises with a clear message when it cannot be had, since
    a differential test that silently skips would prove nothing.
    """
    # Loaded by path: mypy checks scripts/ as top-level modules, so `import scripts.reference`
    # would make it see the file twice under two names.
    spec = importlib.util.spec_from_file_location("reference", ROOT / "scripts" / "reference.py")
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    try:
        binary = reference.ensure_reference()
    except Exception as exc:
        raise RuntimeError(
            f"the reference codex 0.94.0 binary is unavailable ({exc}); "
            "run `uv run python scripts/reference.py` with npm and network access once"
        ) from exc
    return [str(binary), "app-server"]
