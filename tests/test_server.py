"""The app server (``python -m escala.ui.server``, what ``make run`` starts): health, metrics,
security headers on every response, and a clean shutdown that checkpoints and lets go of the
database file."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from escala import auth, metrics
from escala.ui import resources, server
from tests.conftest import app_env, seed_demo_file
from tests.postgresql import create_database
from escala.db import Database
from escala.domain import ContactDraft

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextmanager
def started(location, log_path: Path):
    """The server over ``location`` (by the environment, as a deployment sets it) on a free
    port, once its health check answers; yields its URL and process."""
    seed_demo_file(location, users=3, contacts=3, activities=3, tasks=3, seed=2)
    port = free_port()
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "escala.ui.server", "--port", str(port), "--address", "127.0.0.1"],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=app_env(location))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while fetch_or_none(f"{url}/_escala/health") != 200:
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


@pytest.fixture
def running(database_location, tmp_path):
    with started(database_location, tmp_path / "server.log") as (url, process):
        yield url, process, database_location


def fetch_or_none(url: str) -> int | None:
    try:
        return fetch(url)[0]
    except OSError:
        return None


def test_health_answers_ok_when_the_database_answers(running):
    url, *_ = running
    assert fetch(f"{url}/_escala/health")[::2] == (200, "ok")


@pytest.mark.parametrize("path", ["/", "/contactos?contacto=1", "/_escala/health", "/_escala/metrics"])
def test_every_response_carries_the_security_headers(running, path):
    url, *_ = running
    _, headers, _ = fetch(url + path)
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["cache-control"] == "no-store"


def test_metrics_are_prometheus_text(running):
    url, *_ = running
    status, headers, body = fetch(f"{url}/_escala/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    for name in ('escala_sign_ins_total{method="password",outcome="success"}',
                 'escala_sign_ins_total{method="password",outcome="failure"}',
                 'escala_sign_ins_total{method="password",outcome="delayed"}',
                 'escala_sign_ins_total{method="sso",outcome="success"}',
                 'escala_sign_ins_total{method="sso",outcome="failure"}', "escala_writes_total", "escala_active_sessions",
                 "escala_http_request_seconds_bucket"):
        assert name in body


def test_shutdown_checkpoints_and_lets_go_of_the_database_file(tmp_path):
    path = tmp_path / "server.duckdb"  # the DuckDB file: its log and its lock are what a shutdown must settle
    with started(path, tmp_path / "server.log") as (_, process):
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) in (0, -signal.SIGINT, 130)
    assert not Path(f"{path}.wal").exists() or Path(f"{path}.wal").stat().st_size == 0
    db = Database(path)  # another process may open it now
    assert db.query_one("SELECT count(*) FROM users")[0] > 0
    db.close()


def test_server_mode_without_a_shared_session_secret_refuses_to_start(postgresql_url, tmp_path):
    url = create_database(postgresql_url)
    environment = {k: v for k, v in os.environ.items() if k not in ("ESCALA_DB", "ESCALA_SESSION_SECRET")}
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "escala.ui.server", "--database-url", url, "--port", str(free_port()),
             "--address", "127.0.0.1"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**environment, "ESCALA_SECRETS": str(tmp_path / "ninguno.toml")})
        try:
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert code != 0
    assert "ESCALA_SESSION_SECRET" in log_path.read_text()


def test_health_is_503_when_the_database_does_not_answer(monkeypatch):
    def broken():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(resources, "default_store", broken)
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: the browser tests keep one running in this thread
        answer = pool.submit(asyncio.run, server.health(None)).result()
    assert answer.status_code == 503 and answer.body.decode() == "la base de datos no responde"


def test_sign_ins_and_writes_are_counted(store, world):
    before = {outcome: metrics.SIGN_INS.labels("password", outcome)._value.get() for outcome in ("success", "failure")}
    writes = metrics.WRITES._value.get()
    auth.sign_in(store, world.ana.email, "mala-clave-123")
    auth.sign_in(store, world.ana.email, "contraseña-segura")
    store.create_contact(world.ana, ContactDraft("Nuevo"))
    assert metrics.SIGN_INS.labels("password", "failure")._value.get() == before["failure"] + 1
    assert metrics.SIGN_INS.labels("password", "success")._value.get() == before["success"] + 1
    assert metrics.WRITES._value.get() == writes + 1


def test_a_components_page_may_be_framed_by_the_app_alone():
    assert (b"content-security-policy", b"frame-ancestors 'self'") in \
        server.security_headers("/component/streamlit_calendar.calendar/index.html")
    assert (b"content-security-policy", b"frame-ancestors 'none'") in server.security_headers("/calendario")


def test_frame_ancestors_can_allow_embedding(monkeypatch):
    monkeypatch.setenv("ESCALA_FRAME_ANCESTORS", "https://intranet.example.com")
    assert (b"content-security-policy", b"frame-ancestors https://intranet.example.com") in server.security_headers("/")
    assert (b"cache-control", b"no-store") not in server.security_headers("/static/js/main.js")


def test_the_running_server_folds_the_tableros_delta_once_writes_have_grown_it(store, world, monkeypatch):
    from escala import rollups
    from tests.conftest import task
    for _ in range(3):
        store.create_item(world.ana, task(world.ana_contact))
    monkeypatch.setattr(rollups, "FOLD_ROWS", 0)

    async def a_moment_of_serving():
        folding = asyncio.create_task(server._keep_folding(store, every=0.05))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}") == (0,):  # sql-ok
                break
        folding.cancel()

    assert store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}")[0] > 0  # sql-ok
    with ThreadPoolExecutor(1) as loop_thread:  # its own event loop (the e2e tests' may be running here)
        loop_thread.submit(asyncio.run, a_moment_of_serving()).result(timeout=60)
    assert store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}") == (0,)  # sql-ok
    assert rollups.check(store.db) == []
