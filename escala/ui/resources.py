"""The process-wide database handle, opened once and shared by every session."""

from __future__ import annotations

import streamlit as st

from escala.db import Database, DatabaseLocked, DatabaseUnusable, default_path
from escala.store import Store


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    db = Database(path)
    db.migrate()
    return Store(db)


def open_store(path) -> Store:
    """The store for ``path``, opened once per process (the server's lifespan opens it first)."""
    return _open_store(str(path))


def default_store() -> Store:
    """The store for ``ESCALA_DB``, outside a page (the server's routes and lifespan)."""
    return open_store(default_path())


def close_store(store: Store) -> None:
    """On shutdown: write everything into the database file and let go of it."""
    store.db.checkpoint()
    store.db.close()
    _open_store.clear()


def get_store() -> Store:
    """The store for ``ESCALA_DB``; if another process holds the file, say so and stop the page."""
    try:
        return _open_store(str(default_path()))
    except (DatabaseLocked, DatabaseUnusable) as error:
        st.error(str(error))
        st.stop()
