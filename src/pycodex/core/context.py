"""The context a thread's first model request starts with (our own wording): what the agent
may do, the project's AGENTS.md, and where it runs. Sent once per thread, stored in history.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .threads import ThreadSettings

_PERMISSIONS = {
    "read-only": "The sandbox is read-only: you can read files and run commands that only read.",
    "workspace-write": (
        "The sandbox lets you write inside the working directory (and temporary directories); "
        "the network is off unless the user allows it."
    ),
    "danger-full-access": "There is no sandbox: commands run with the user's full access.",
}
_APPROVALS = {
    "untrusted": "Commands beyond known-safe reads need the user's approval.",
    "on-failure": "Commands run in the sandbox; a failure can be retried outside it if approved.",
    "on-request": "Ask for approval when a command needs to leave the sandbox.",
    "never": "Never ask for approval; work within the sandbox and report what you cannot do.",
}


def _text(role: str, text: str) -> dict[str, Any]:
    kind = "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


def agents_md(cwd: str) -> str | None:
    """The project's AGENTS.md, if the working directory has one."""
    path = Path(cwd) / "AGENTS.md"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def initial_context(settings: ThreadSettings) -> list[dict[str, Any]]:
    permissions = (
        "<permissions instructions>\n"
        f"{_PERMISSIONS.get(settings.sandbox_mode, _PERMISSIONS['read-only'])}\n"
        f"{_APPROVALS.get(settings.approval_policy, _APPROVALS['on-request'])}\n"
        "</permissions instructions>"
    )
    messages = [_text("developer", permissions)]
    if settings.developer_instructions:
        messages.append(_text("developer", settings.developer_instructions))
    project = agents_md(settings.cwd)
    if project is not None:
        messages.append(
            _text(
                "user",
                f"# AGENTS.md instructions for {settings.cwd}\n\n"
                f"<INSTRUCTIONS>\n{project}\n</INSTRUCTIONS>",
            )
        )
    shell = os.path.basename(os.environ.get("SHELL", "bash")) or "bash"
    network = "enabled" if settings.sandbox_mode == "danger-full-access" else "restricted"
    messages.append(
        _text(
            "user",
            "<environment_context>\n"
            f"  <cwd>{settings.cwd}</cwd>\n"
            f"  <approval_policy>{settings.approval_policy}</approval_policy>\n"
            f"  <sandbox_mode>{settings.sandbox_mode}</sandbox_mode>\n"
            f"  <network_access>{network}</network_access>\n"
            f"  <shell>{shell}</shell>\n"
            "</environment_context>",
        )
    )
    return messages
