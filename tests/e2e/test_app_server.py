"""`pycodex app-server` over real pipes: handshake, bad input, big lines, shutdown, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema

from pycodex.useragent import app_server_user_agent
from tests.kit.home import RunHome
from tests.kit.servers import pycodex_argv

from .conftest import INIT, Checked

Spawn = Callable[..., Checked]


def expected_user_agent(run_home: RunHome) -> str:
    # The server computes it from its own environment: TERM=xterm, no TERM_PROGRAM.
    import os

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(run_home.env)
        return app_server_user_agent("e2e", "1.2.3")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_handshake(spawn: Spawn, run_home: RunHome) -> None:
    s = spawn()
    s.send({"id": 1, "method": "getUserAgent"})
    assert s.wait_for_response(1) == {
        "error": {"code": -32600, "message": "Not initialized"},
        "id": 1,
    }
    s.send({"method": "initialized"})
    s.send(INIT)
    reply = s.wait_for_response(0)
    ua = expected_user_agent(run_home)
    assert reply == {
        "id": 0,
        "result": {"userAgent": ua, "serverInfo": {"name": "pycodex", "version": "0.94.0"}},
    }
    assert ua.startswith("e2e/0.94.0 (") and ua.endswith(") xterm (e2e; 1.2.3)")
    s.send({"id": "x", "method": "getUserAgent", "params": {}})
    assert s.wait_for_response("x") == {"id": "x", "result": {"userAgent": ua}}
    s.send({**INIT, "id": 2})
    assert s.wait_for_response(2)["error"] == {"code": -32600, "message": "Already initialized"}
    s.close(timeout=2)


def test_prelude_and_engine_answer_initialize_alike(spawn: Spawn) -> None:
    fast = spawn()
    fast.send(INIT)
    slow = spawn()
    slow.send_raw(b"garbage first, so the full engine answers initialize")
    slow.send(INIT)
    assert fast.wait_for_response(0) == slow.wait_for_response(0)
    fast.close(timeout=2)
    slow.close(timeout=2)


def test_pipelined_requests_after_initialize_are_served(spawn: Spawn) -> None:
    s = spawn()
    lines = [INIT] + [{"id": i, "method": "getUserAgent"} for i in range(1, 50)]
    s.send_raw(b"\n".join(json.dumps(m).encode() for m in lines))
    for i in range(1, 50):
        assert "userAgent" in s.wait_for_response(i)["result"]
    s.close(timeout=2)


def test_invalid_client_name_leaves_the_connection_uninitialized(spawn: Spawn) -> None:
    s = spawn()
    s.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"clientInfo": {"name": "a\nb", "version": "1"}},
        }
    )
    assert s.wait_for_response(1)["error"] == {
        "code": -32600,
        "message": "Invalid clientInfo.name: 'a\nb'. Must be a valid HTTP header value.",
    }
    s.send(INIT)
    assert "userAgent" in s.wait_for_response(0)["result"]
    s.close(timeout=2)


def test_bad_input_never_kills_the_server(spawn: Spawn) -> None:
    s = spawn()
    s.send(INIT)
    s.wait_for_response(0)
    junk = [
        b"{",
        b"",
        b"42",
        b"null",
        b'"s"',
        b'[{"id":9,"method":"getUserAgent"}]',
        b'{"id":5}',
        b'{"id":1.5,"method":"getUserAgent"}',
        b'{"id":null,"method":"getUserAgent"}',
        b'{"id":77,"result":{}}',
        b'{"id":78,"error":{"code":1,"message":"x"}}',
        b"\xff\xfe\x00",
        b'{"method":"no/such"}',
    ]
    for j in junk:
        s.send_raw(j)
    s.send({"id": 100, "method": "getUserAgent"})
    assert "result" in s.wait_for_response(100)
    assert s.drain(quiet=0.2) == [s.messages[-1]] or all("id" in m for m in s.messages)
    ids = [m.get("id") for m in s.messages]
    assert ids == [0, 100]
    s.close(timeout=2)


def test_unknown_method_and_not_implemented(spawn: Spawn) -> None:
    s = spawn()
    s.send(INIT)
    s.wait_for_response(0)
    s.send({"id": 1, "method": "Account/Read", "params": {}})
    msg = s.wait_for_response(1)["error"]["message"]
    assert msg.startswith(
        "Invalid request: unknown variant `Account/Read`, expected one of `initialize`, "
    )
    assert msg.endswith("`fuzzyFileSearch`, `execOneOffCommand`")
    # A method of the 0.94 table that pycodex has not built yet (issue 6).
    s.send({"id": 2, "method": "fuzzyFileSearch", "params": {"query": "x", "roots": []}})
    reply = s.wait_for_response(2)
    assert reply["error"]["code"] == -32601
    assert reply["error"]["message"] == "not implemented yet: fuzzyFileSearch"
    s.close(timeout=2)


def test_ten_megabyte_line(spawn: Spawn) -> None:
    s = spawn()
    s.send(INIT)
    s.wait_for_response(0)
    s.send({"id": 1, "method": "getUserAgent", "padding": "p" * (10 * 1024 * 1024)})
    assert "userAgent" in s.wait_for_response(1, timeout=30)["result"]
    s.close(timeout=2)


def test_eof_exits_zero_quickly(spawn: Spawn) -> None:
    s = spawn()
    s.send(INIT)
    s.wait_for_response(0)
    started = time.monotonic()
    s.close(timeout=5)
    assert time.monotonic() - started < 1.0


def test_eof_before_anything(spawn: Spawn) -> None:
    s = spawn()
    s.close(timeout=5)
    assert s.messages == []


def test_stdout_carries_only_protocol_even_when_logging(run_home: RunHome) -> None:
    env = {**run_home.env, "RUST_LOG": "debug"}
    done = subprocess.run(
        pycodex_argv(),
        input=b"garbage\n" + json.dumps(INIT).encode() + b"\n",
        capture_output=True,
        env=env,
        cwd=run_home.cwd,
        timeout=20,
    )
    assert done.returncode == 0
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [0]
    assert b"Failed to deserialize JSONRPCMessage" in done.stderr


def test_cli_listen_and_overrides(run_home: RunHome, spawn: Spawn) -> None:
    bad = subprocess.run(
        [*pycodex_argv(), "--listen", "ws://127.0.0.1:1"],
        capture_output=True,
        env=run_home.env,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode == 2
    assert b"only stdio:// is supported" in bad.stderr
    bad = subprocess.run(
        [*pycodex_argv(), "-c", "novalue"],
        capture_output=True,
        env=run_home.env,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode == 2
    assert b"expected key=value" in bad.stderr
    s = spawn("--listen", "stdio://", "-c", 'model="gpt-5.2"', "-c", "features.x=true")
    s.send(INIT)
    assert "userAgent" in s.wait_for_response(0)["result"]
    s.close(timeout=2)


def test_bare_pycodex_prints_help() -> None:
    done = subprocess.run([sys.executable, "-m", "pycodex"], capture_output=True, timeout=20)
    assert done.returncode == 0
    assert b"pycodex app-server" in done.stdout


def test_generate_json_schema(tmp_path: Path, run_home: RunHome) -> None:
    out = tmp_path / "schema"
    done = subprocess.run(
        [*pycodex_argv(), "generate-json-schema", "--out", str(out)],
        capture_output=True,
        env=run_home.env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    bundle = json.loads((out / "codex_app_server_protocol.schemas.json").read_text())
    jsonschema.Draft7Validator.check_schema(bundle)
    client = json.loads((out / "ClientRequest.json").read_text())
    text = json.dumps(client)
    for method in ("initialize", "thread/start", "turn/start", "account/login/start"):
        assert f'"{method}"' in text


def test_unparsable_config_warns_after_initialize_and_serves_defaults(
    spawn: Spawn, run_home: RunHome
) -> None:
    (run_home.codex_home / "config.toml").write_text('model = "x"\n[broken\n')
    for first in (None, b"garbage first: the full engine answers initialize"):
        s = spawn()
        if first is not None:
            s.send_raw(first)
        s.send(INIT)
        s.wait_for_response(0)
        messages = s.drain(quiet=0.3)
        assert [m.get("method") for m in messages] == [None, "configWarning"]
        warning = messages[1]["params"]
        path = str(run_home.codex_home / "config.toml")
        assert warning["summary"] == "Invalid configuration; using defaults."
        assert warning["path"] == path
        assert warning["details"].startswith(f"{path}:2:8: ")
        assert warning["range"] == {
            "start": {"line": 2, "column": 8},
            "end": {"line": 2, "column": 8},
        }
        s.close(timeout=2)


def test_stdin_devnull_and_files_on_stdin_and_stdout(run_home: RunHome, tmp_path: Path) -> None:
    """None of these can be polled by the event loop; all must still work (threaded I/O)."""
    done = subprocess.run(
        pycodex_argv(), stdin=subprocess.DEVNULL, capture_output=True, env=run_home.env, timeout=20
    )
    assert done.returncode == 0, done.stderr.decode()
    requests = tmp_path / "in.jsonl"
    requests.write_text(
        json.dumps(INIT) + "\n" + json.dumps({"id": 1, "method": "getUserAgent"}) + "\n"
    )
    out = tmp_path / "out.jsonl"
    for to_file in (False, True):
        with requests.open("rb") as stdin, out.open("wb") as stdout:
            done = subprocess.run(
                pycodex_argv(),
                stdin=stdin,
                stdout=stdout if to_file else subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=run_home.env,
                timeout=20,
            )
        assert done.returncode == 0, done.stderr.decode()
        lines = out.read_bytes() if to_file else done.stdout
        assert [json.loads(line)["id"] for line in lines.splitlines()] == [0, 1]


def test_client_closing_our_stdout_ends_the_session(run_home: RunHome) -> None:
    """A client that stops reading is gone: the server exits instead of serving into a void."""
    proc = subprocess.Popen(
        pycodex_argv(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=run_home.env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(INIT).encode() + b"\n")
        proc.stdin.flush()
        proc.stdout.readline()
        proc.stdout.close()
        for i in range(1, 20):
            try:
                proc.stdin.write(json.dumps({"id": i, "method": "getUserAgent"}).encode() + b"\n")
                proc.stdin.flush()
            except BrokenPipeError:
                break
            time.sleep(0.05)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
