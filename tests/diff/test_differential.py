"""Every scenario, run against the reference codex 0.94.0 and against pycodex: same transcript.

The reference is the ground truth; any difference fails unless the scenario lists it as an
improvement. Every message pycodex sends is also checked against the 0.94 JSON Schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.kit.compare import compare
from tests.kit.fake_responses import FakeResponses
from tests.kit.home import make_home
from tests.kit.normalise import is_legacy_event, normalise
from tests.kit.scenario import (
    Scenario,
    Transcript,
    load_scenario,
    parse_or_none,
    request_id_of,
    run_scenario,
)
from tests.kit.servers import pycodex_argv, reference_argv

SCENARIO_DIR = Path(__file__).parent / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.jsonl"))
README = Path(__file__).resolve().parents[2] / "README.md"


def run(
    argv: Sequence[str], scenario: Scenario, root: Path
) -> tuple[Transcript, Transcript, list[str]]:
    """Raw and normalised transcripts, and the model endpoint calls the server made."""
    with FakeResponses() as fake:
        home = make_home(root, fake.port, **scenario.home)
        raw = run_scenario(scenario, argv, home, fake=fake)
    # The reference refreshes its model list (`GET …/models`) in the background when it can;
    # that is `model/list`'s business (not built yet), not a turn's, so only the calls a
    # scenario causes are compared.
    calls = [
        f"{request.method} {request.path}"
        for request in fake.requests
        if not (request.method == "GET" and "/models" in request.path)
    ]
    return raw, normalise(raw, home.paths), calls


def schema_problems(transcript: Transcript) -> list[str]:
    """Validate every received message; responses against the method their id was sent with.

    The legacy `codex/event/*` notifications are not in the schema and are skipped (S1).
    """
    from tests.support.schema import validate_server_message

    methods: dict[int | str, str] = {}
    problems: list[str] = []
    for kind, message in transcript:
        if kind in ("send", "send_raw"):
            sent = message if kind == "send" else parse_or_none(message)
            request_id = request_id_of(sent)
            if request_id is not None:
                methods[request_id] = sent["method"]
        elif kind == "recv" and not is_legacy_event(message):
            try:
                validate_server_message(message, methods)
            except AssertionError as exc:
                problems.append(f"schema: {exc}")
    return problems


def _scenario_ids(path: Path) -> str:
    return path.stem


@pytest.mark.differential
@pytest.mark.parametrize("path", SCENARIOS, ids=_scenario_ids)
def test_pycodex_matches_reference(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    _, reference, reference_calls = run(reference_argv(), scenario, tmp_path / "reference")
    raw, pycodex, pycodex_calls = run(pycodex_argv(), scenario, tmp_path / "pycodex")

    result = compare(reference, pycodex, scenario.improvements)
    problems = list(result.problems)
    if reference_calls != pycodex_calls:
        problems.append(f"model endpoint calls differ: {reference_calls} vs {pycodex_calls}")
    problems.extend(schema_problems(raw))
    if problems or not result.equal:
        pytest.fail(
            "\n".join([f"{path.name}: pycodex differs from the reference", *problems])
            + "\n"
            + result.report(),
            pytrace=False,
        )


@pytest.mark.differential
@pytest.mark.parametrize("path", SCENARIOS, ids=_scenario_ids)
def test_reference_is_stable(path: Path, tmp_path: Path) -> None:
    """Two reference runs give the same normalised transcript: the kit adds no noise.

    The reference's own messages must also pass the schema check, or the validator is wrong.
    """
    scenario = load_scenario(path)
    raw, first, _ = run(reference_argv(), scenario, tmp_path / "first")
    _, second, _ = run(reference_argv(), scenario, tmp_path / "second")
    result = compare(first, second)
    assert result.equal, result.report()
    assert not schema_problems(raw), "the schema validator rejects the reference itself"


@pytest.mark.parametrize("path", SCENARIOS, ids=_scenario_ids)
def test_improvements_are_in_the_readme(path: Path) -> None:
    """decisions.md: every deliberate difference is listed in the README under its name."""
    readme = README.read_text(encoding="utf-8")
    missing = {i.name for i in load_scenario(path).improvements if i.name not in readme}
    assert not missing, f"README.md lacks the improvement entries {sorted(missing)}"
