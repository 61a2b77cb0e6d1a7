"""The process-wide database handle, opened once and shared by every session."""

from __future__ import annotations

import streamlit as st

from escala import auth
from escala.db import DatabaseLocked, DatabaseUnusable, default_location, default_path, is_url, open_database
from escala.store import Store


@st.cache_resource(show_spinner=False)
def _open_store(location: str) -> Store:
    db = open_database(location)
    db.migrate()
    return Store(db)


def open_store(location) -> Store:
    """The store at ``location``, opened once per process (the server's lifespan opens it first)."""
    return _open_store(str(location))


def default_store() -> Store:
    """The store at ``ESCALA_DATABASE_URL`` or ``ESCALA_DB``, outside a page (the server's
    routes and lifespan)."""
    return open_store(default_location())


@st.cache_resource(show_spinner=False)
def _signing_secret(location: str) -> bytes:
    return auth.session_secret(default_path().parent, required=is_url(location))


def signing_secret() -> bytes:
    """The key that signs session cookies: configured, or kept beside the DuckDB file; in
    server mode it must be configured (the same in every process)."""
    return _signing_secret(default_location())


def close_store(store: Store) -> None:
    """On shutdown: write everything into the database file and let go of it."""
    store.db.checkpoint()
    store.db.close()
    _open_store.clear()


def get_store() -> Store:
    """The store for ``ESCALA_DB``; if another process holds the file, say so and stop the page."""
    try:
        return _open_store(default_location())
    except (DatabaseLocked, DatabaseUnusable) as error:
        st.error(str(error))
        st.stop()
