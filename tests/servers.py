"""App servers for the tests (and the load harness, load/figures.py): ``python -m
escala.ui.server`` on a free port over a given database, until it answers its health check."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import app_env

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(location, log_path: Path, *args: str, env: dict | None = None) -> Iterator[str]:
    """``python -m escala.ui.server`` (as ``make run``) over the database at ``location`` on a
    free port, until it answers its health check; yields its base URL."""
    port = free_port()
    log = open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "escala.ui.server", "--port", str(port), "--address", "127.0.0.1", *args],
        cwd=ROOT, env={**app_env(location), **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/_escala/health", server, log.name)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def wait_until_answers(url: str, process: subprocess.Popen, log_name: str, expected: bytes = b"ok") -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if expected in answer.read():
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{url} did not answer; see {log_name}")
        time.sleep(0.3)
