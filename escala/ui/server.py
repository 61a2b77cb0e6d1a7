"""The app server: Streamlit's ``st.App`` around ``app.py``, with Escala's routes, middleware
and lifespan. ``python -m escala.ui.server`` (what ``make run`` calls) runs it on Streamlit's
own uvicorn runner.

- lifespan: the store is opened once per process before the first request (and the Tablero's
  rollup delta folded if it has grown), and checkpointed and closed on shutdown;
- ``/_escala/ingresar`` and ``/_escala/salir``: sign-in and sign-out (escala/ui/signin.py), the
  only code that sets or clears the HttpOnly session cookie; ``/_escala/empresa`` starts the
  company's single sign-on (escala/ui/sso.py) when it is configured;
- ``/_escala/health``: 200 only when the database answers;
- ``/_escala/metrics``: Prometheus counters (escala/metrics.py) plus live sessions;
- security headers on every HTTP response, ``Cache-Control: no-store`` on all but Streamlit's
  static assets (pages, downloads and media carry user data);
- ``on_script_error``: anything a page or callback did not handle becomes a Spanish message
  with a reference, logged in full (escala/ui/errors.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escala import metrics, rollups, times
from escala.auth import session_idle_limit
from escala.ui import resources, signin, sso

ENTRY_POINT = Path(__file__).resolve().parents[2] / "app.py"
CACHEABLE_PREFIXES = ("/static/", "/favicon", "/_stcore/static")  # Streamlit's own assets: no user data


def frame_ancestors() -> str:
    """Who may embed the app in a frame: ``ESCALA_FRAME_ANCESTORS`` (space-separated origins), or nobody."""
    return os.environ.get("ESCALA_FRAME_ANCESTORS", "").strip() or "'none'"


COMPONENT_PREFIX = "/component/"  # a custom component's page, which the app itself shows in a frame (Calendario)


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    ancestors = frame_ancestors()
    if path.startswith(COMPONENT_PREFIX):  # framed by the app's own pages, and by whoever may frame those
        ancestors = "'self'" if ancestors == "'none'" else f"'self' {ancestors}"
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
               (b"content-security-policy", f"frame-ancestors {ancestors}".encode())]
    if not path.startswith(CACHEABLE_PREFIXES):
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """Pure ASGI middleware (it must not touch the websocket): adds ``security_headers`` to
    every HTTP response and times the request for the metrics."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = security_headers(path)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            kind = "escala" if path.startswith("/_escala/") else "static" if path.startswith(CACHEABLE_PREFIXES) \
                else "media" if path.startswith("/media/") else "page"
            metrics.REQUEST_SECONDS.labels(kind).observe(time.perf_counter() - started)


async def health(request: Request) -> Response:
    try:
        answered = await run_in_threadpool(lambda: resources.default_store().db.query_one("SELECT 1") == (1,))
    except Exception:  # noqa: BLE001  any failure is "not healthy", never a traceback
        answered = False
    return PlainTextResponse("ok" if answered else "la base de datos no responde", status_code=200 if answered else 503)


async def prometheus(request: Request) -> Response:
    def collect() -> bytes:
        metrics.ACTIVE_SESSIONS.set(resources.default_store().active_sessions(times.now_utc(), session_idle_limit()))
        return metrics.exposition()

    return Response(await run_in_threadpool(collect), media_type="text/plain; version=0.0.4; charset=utf-8")


def on_script_error(error: Exception) -> bool:
    from escala.ui.errors import show_unexpected
    show_unexpected(error)
    return True  # our Spanish message replaces Streamlit's


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[dict]:
    resources.signing_secret()  # server mode without a shared secret: refuse to start (MissingSecret says why)
    store = await run_in_threadpool(resources.default_store)  # opened (and migrated) once, before the first page
    await run_in_threadpool(rollups.compact_if_grown, store.db)  # the Tablero's totals, folded
    folding = asyncio.create_task(_keep_folding(store))
    try:
        yield {}
    finally:
        folding.cancel()
        with suppress(asyncio.CancelledError):
            await folding
        await run_in_threadpool(resources.close_store, store)


async def _keep_folding(store, every: float = 60) -> None:
    """Every minute, fold the rollups' delta if writes have grown it, and make the pending
    items due around today anew once the day has changed (reads stay fast)."""
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(rollups.fold_if_grown, store.db)
            await run_in_threadpool(rollups.refresh_soon_if_stale, store.db, store.clock())
        except Exception:  # noqa: BLE001 - logged; the next minute tries again, reads stay exact meanwhile
            logging.getLogger(__name__).exception("No se pudo consolidar los totales del Tablero.")


app = st.App(str(ENTRY_POINT), lifespan=lifespan, on_script_error=on_script_error,
             routes=[Route("/_escala/health", health), Route("/_escala/metrics", prometheus),
                     Route(signin.SIGN_IN_PATH, signin.sign_in_form, methods=["GET"]),
                     Route(signin.SIGN_IN_PATH, signin.sign_in_submit, methods=["POST"]),
                     Route(signin.SIGN_OUT_PATH, signin.sign_out, methods=["GET", "POST"]),
                     Route(sso.START_PATH, sso.start, methods=["GET"])],
             middleware=[Middleware(SecurityHeaders)])


def main(argv: list[str] | None = None) -> None:
    """``python -m escala.ui.server [--address A] [--port P] [--db FILE | --database-url URL]``:
    serve until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m escala.ui.server", description="Sirve Escala.")
    parser.add_argument("--address", default="localhost", help="dirección en la que escucha (por defecto localhost)")
    parser.add_argument("--port", type=int, default=8501, help="puerto (por defecto 8501)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help="archivo de la base de datos (por defecto ESCALA_DB o data/escala.duckdb)")
    where.add_argument("--database-url", help="modo servidor: URL postgresql://… (por defecto ESCALA_DATABASE_URL)")
    parser.add_argument("--secrets", help="archivo de secretos (por defecto ESCALA_SECRETS o .streamlit/secrets.toml)")
    args = parser.parse_args(argv)
    if args.db:
        os.environ["ESCALA_DB"] = args.db  # the pages and routes read it
        os.environ.pop("ESCALA_DATABASE_URL", None)
    if args.database_url:
        os.environ["ESCALA_DATABASE_URL"] = args.database_url
    if args.secrets:
        os.environ["ESCALA_SECRETS"] = args.secrets
    # No file watcher: the server runs the code it started with (a file edited under a running
    # server would otherwise be re-imported mid-session, splitting classes in two). Restart to deploy.
    config = {"server.address": args.address, "server.port": args.port, "server.headless": True,
              "server.fileWatcherType": "none"}
    if os.environ.get("ESCALA_SECRETS"):  # one secrets file for Streamlit ([auth]) and Escala ([escala])
        config["secrets.files"] = [os.environ["ESCALA_SECRETS"]]
    app.run(config=config)


if __name__ == "__main__":
    main()
